// The one-on-one chat page: the conversation lives in the page; each reply streams in from
// /api/chat, one message (one row) per line of the persona's burst. With the Discord ids of a
// channel given, the persona recalls that channel's memories; what it recalled is under the reply
// (a closed <details>), always as text. Each persona message has a star (the collection) and
// thumbs up and down (feedback); the latest reply has "another take": it is set aside (faded)
// and the same conversation asked again, the reply set aside counting as rejected (docs/feedback.md).
"use strict";

Shizu.run(async () => {
  const $ = id => document.getElementById(id);
  const {el} = Shizu;
  const HISTORY = 60;  // messages sent back as context (the server keeps only the current conversation)

  const info = await Shizu.json("/api/info");
  const persona = info.persona;
  const list = new Shizu.MessageList($("messages"), persona);
  const voter = Shizu.voter();
  let history = [];
  let busy = false;
  let retake = null;  // the "another take" button of the latest reply

  document.title = `${persona} · Shizu`;
  $("persona-title").textContent = persona;
  $("speaker").value = Shizu.stored("speaker", info.speaker);
  $("place-kind").value = Shizu.stored("placeKind", "dm");
  $("channel").value = Shizu.stored("channel", "general");
  $("memory-channel").value = Shizu.stored("memoryChannel", "");
  $("memory-server").value = Shizu.stored("memoryServer", "");
  if (info.models.length > 1) {
    $("model-row").hidden = false;
    for (const id of info.models) $("model").append(el("option", {value: id}, id));
  }

  function speaker() { return $("speaker").value.trim() || info.speaker; }
  function channel() { return $("channel").value.trim().replace(/^#/, "") || "general"; }
  function place() { return $("place-kind").value === "dm" ? "dm" : `#${channel()}`; }
  function where() {  // the ids the memory recalls for, or null (no memory)
    const channelId = $("memory-channel").value.trim();
    if (!channelId) return null;
    const dm = $("place-kind").value === "dm";
    return {platform: "discord", kind: dm ? "dm" : "guild-text", channel_id: channelId, server_id: dm ? "" : $("memory-server").value.trim()};
  }
  function recalled(memories) {
    const shown = memories.map(memory => el("div", {class: "memory"},
      el("div", {class: "memory-head"}, `${new Date(memory.time).toLocaleString()} · ${memory.place}`),
      ...memory.lines.map(line => el("div", {}, el("b", {}, `${line.speaker}: `), line.text))));
    return el("details", {class: "memories"},
      el("summary", {}, `Recalled ${memories.length} memor${memories.length === 1 ? "y" : "ies"}`), ...shown);
  }

  function refresh() {
    const dm = $("place-kind").value === "dm";
    $("channel-row").hidden = dm;
    $("where-glyph").textContent = dm ? "@" : "#";
    $("where-name").textContent = dm ? persona : channel();
    $("where-sub").textContent = dm ? "direct message" : `with ${persona}`;
    $("text").placeholder = dm ? `Message @${persona}` : `Message #${channel()}`;
    $("me-avatar").replaceChildren(Shizu.avatar(speaker()));
    $("me-name").textContent = speaker();
    $("welcome").replaceChildren(
      Shizu.avatar(dm ? persona : "#", "big"),
      el("h1", {}, dm ? persona : `Welcome to #${channel()}!`),
      el("p", {}, dm ? `This is the beginning of your direct message history with ${persona}.`
                     : `This is the start of the #${channel()} channel. ${persona} is here.`));
  }
  const remembered = [["speaker", "speaker"], ["place-kind", "placeKind"], ["channel", "channel"], ["memory-channel", "memoryChannel"], ["memory-server", "memoryServer"]];
  for (const [id, key] of remembered) {
    $(id).addEventListener("input", () => { Shizu.store(key, $(id).value); refresh(); });
  }
  $("reset").addEventListener("click", () => { history = []; retake = null; list.clear(); $("text").focus(); });

  function scroll() { $("scroller").scrollTop = $("scroller").scrollHeight; }
  function typing(on) {
    $("typing").replaceChildren(...(on ? [el("span", {class: "dots"}, el("i"), el("i"), el("i")), el("b", {}, persona), " is typing…"] : []));
  }
  function problem(text) { $("messages").append(el("div", {class: "error"}, text)); scroll(); }

  // A button that POSTs body() to path once clicked, then stays lit.
  function action(kind, glyph, title, lit, path, body) {
    const button = el("button", {class: kind, type: "button", title, "aria-label": title}, glyph);
    button.addEventListener("click", async () => {
      try {
        await Shizu.api(path, Shizu.post(body()));
        button.classList.add("on");
        button.title = lit;
      } catch (error) { problem(error.message); }
    });
    return button;
  }
  function actions(id) {
    const thumb = verdict => () => ({message_id: id, verdict, voter, by: speaker()});
    return el("div", {class: "actions"},
      action("star", "★", "Star: keep it in the collection", "In the collection", "/api/star", () => ({message_id: id, by: speaker()})),
      action("thumb up", "👍", "Good reply", "You liked it", "/api/feedback", thumb("up")),
      action("thumb down", "👎", "Bad reply", "You disliked it", "/api/feedback", thumb("down")));
  }

  // "Another take" on the latest reply: set it aside and ask the same conversation again.
  function offerRetake(reply) {
    retake = el("button", {class: "retake", type: "button", title: "Another take (this reply counts as rejected)",
                           "aria-label": "Another take"}, "🔁");
    retake.addEventListener("click", async () => {
      if (busy) return;
      const setAside = history.splice(reply.from);
      for (const row of reply.rows) row.classList.add("discarded");
      if (!await ask({retake: {message_id: reply.ids[0], voter, by: speaker()}})) {
        history.push(...setAside);
        for (const row of reply.rows) row.classList.remove("discarded");
        offerRetake(reply);
      }
    });
    reply.rows[reply.rows.length - 1].querySelector(".actions").append(retake);
  }

  // The persona's reply to the conversation so far (extra: more of the request); true when it answered.
  async function ask(extra = {}) {
    busy = true;
    $("send").disabled = true;
    typing(true);
    retake?.remove();
    retake = null;
    const reply = {from: history.length, ids: [], rows: []};
    try {
      const body = {place: place(), history: history.slice(-HISTORY), ...extra};
      if (info.models.length > 1) body.model = $("model").value;
      if (where()) body.where = where();
      const response = await Shizu.api("/api/chat", Shizu.post(body));
      await Shizu.events(response, (name, data) => {
        if (name === "message") {
          const time = new Date();
          const row = list.add({author: persona, text: data.body, media: data.media, time, persona: true});
          row.append(actions(data.id));
          reply.ids.push(data.id);
          reply.rows.push(row);
          history.push({speaker: persona, text: data.text, persona: true, time: time.toISOString()});
          scroll();
        } else if (name === "done" && data.messages === 0) {
          problem(`${persona} did not answer.`);
        } else if (name === "done" && data.memories.length && reply.rows.length) {
          reply.rows[reply.rows.length - 1].querySelector(".content").append(recalled(data.memories));
        } else if (name === "error") {
          problem(data.error.message);
        }
      });
    } catch (error) {
      problem(error.message);
    } finally {
      busy = false;
      $("send").disabled = false;
      typing(false);
    }
    if (reply.rows.length) offerRetake(reply);
    return reply.rows.length > 0;
  }

  function send(text) {
    const now = new Date();
    history.push({speaker: speaker(), text, persona: false, time: now.toISOString()});
    list.add({author: speaker(), text, time: now});
    scroll();
    ask();
  }

  $("composer").addEventListener("submit", event => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim() || busy) return;
    $("text").value = "";
    send(text);
  });
  refresh();
  $("text").focus();
});
