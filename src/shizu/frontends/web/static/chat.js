// The one-on-one chat page: the conversation lives in the page; each reply streams in from
// /api/chat, one message (one row) per line of the persona's burst. With the Discord ids of a
// channel given, the persona recalls that channel's memories; what it recalled is under the reply
// (a closed <details>), always as text.
"use strict";

Shizu.run(async () => {
  const $ = id => document.getElementById(id);
  const {el} = Shizu;
  const HISTORY = 60;  // messages sent back as context (the server keeps only the current conversation)

  const info = await Shizu.json("/api/info");
  const persona = info.persona;
  const list = new Shizu.MessageList($("messages"), persona);
  let history = [];
  let busy = false;

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
  $("reset").addEventListener("click", () => { history = []; list.clear(); $("text").focus(); });

  function scroll() { $("scroller").scrollTop = $("scroller").scrollHeight; }
  function typing(on) {
    $("typing").replaceChildren(...(on ? [el("span", {class: "dots"}, el("i"), el("i"), el("i")), el("b", {}, persona), " is typing…"] : []));
  }
  function problem(text) { $("messages").append(el("div", {class: "error"}, text)); scroll(); }

  function starButton(id) {
    const button = el("button", {class: "star", type: "button", title: "Star: keep it in the collection"}, "★");
    button.addEventListener("click", async () => {
      try {
        await Shizu.api("/api/star", Shizu.post({message_id: id, by: speaker()}));
        button.classList.add("on");
        button.title = "In the collection";
      } catch (error) { problem(error.message); }
    });
    return button;
  }

  async function send(text) {
    const now = new Date();
    history.push({speaker: speaker(), text, persona: false, time: now.toISOString()});
    list.add({author: speaker(), text, time: now});
    scroll();
    busy = true;
    $("send").disabled = true;
    typing(true);
    try {
      const body = {place: place(), history: history.slice(-HISTORY)};
      if (info.models.length > 1) body.model = $("model").value;
      if (where()) body.where = where();
      let last = null;
      const response = await Shizu.api("/api/chat", Shizu.post(body));
      await Shizu.events(response, (name, data) => {
        if (name === "message") {
          const time = new Date();
          const row = list.add({author: persona, text: data.body, media: data.media, time, persona: true});
          row.append(starButton(data.id));
          last = row;
          history.push({speaker: persona, text: data.text, persona: true, time: time.toISOString()});
          scroll();
        } else if (name === "done" && data.messages === 0) {
          problem(`${persona} did not answer.`);
        } else if (name === "done" && data.memories.length && last) {
          last.querySelector(".content").append(recalled(data.memories));
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
