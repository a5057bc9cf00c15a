// The blind test: a held-out context, two replies (the real one and the model's) in random order;
// the visitor picks the real one, then sees which it was and the running scores.
"use strict";

Shizu.run(async () => {
  const $ = id => document.getElementById(id);
  const {el} = Shizu;
  const voter = Shizu.voter();
  const model = new URLSearchParams(location.search).get("model");
  const asking = model ? {voter, model} : {voter};  // a new question is a POST: asking changes the server's state

  function score(node, result, none) {
    const rate = result.rate === null ? null : Math.round(result.rate * 100);
    node.replaceChildren(
      el("div", {class: "big"}, rate === null ? "–" : `${rate}%`),
      el("div", {class: "what"}, result.answers === 0
        ? none
        : `${result.correct} of ${result.answers} ${result.answers === 1 ? "answer" : "answers"} picked the real reply.`),
      el("div", {class: "meter"}, el("span", {style: {width: `${rate ?? 0}%`}})));
  }
  function scores(data) {
    score($("score-all"), data.score, "Nobody has answered yet.");
    score($("score-you"), data.yours, "You have not answered yet.");
  }

  function thread(persona, messages, time, container) {
    const list = new Shizu.MessageList(container, persona);
    for (const m of messages) list.add({author: persona, text: m.body, media: m.media, time, persona: true});
    return container;
  }

  async function ask() {
    const box = $("blind");
    box.replaceChildren(el("p", {class: "notice"}, "Finding a conversation… (the model may be writing its reply)"));
    const q = await Shizu.json("/api/blind", Shizu.post(asking));
    $("persona-title").textContent = `${q.persona} · blind test`;
    $("subtitle").textContent = `Which reply did ${q.persona} really write?`;
    scores(q);
    const when = new Date(q.time);
    const context = el("div", {class: "context"});
    const list = new Shizu.MessageList(context, q.persona);
    for (const m of q.context) list.add({author: m.speaker, text: m.text, time: when, persona: m.persona, bot: false});
    const choices = {};
    for (const side of ["a", "b"]) {
      const pick = el("button", {class: "button pick", type: "button"}, `${side.toUpperCase()} is real`);
      pick.addEventListener("click", () => answer(q, side, choices));
      choices[side] = el("div", {class: "choice", id: `choice-${side}`},
        el("div", {class: "label"}, el("span", {}, `Reply ${side.toUpperCase()}`)),
        thread(q.persona, q[side], when, el("div", {class: "body"})),
        pick);
    }
    box.replaceChildren(
      el("p", {class: "where"}, `In ${q.place} · ${when.toLocaleString([], {dateStyle: "full", timeStyle: "short"})}`),
      context,
      el("h2", {}, `Which reply did ${q.persona} really write?`),
      el("div", {class: "choices"}, choices.a, choices.b));
  }

  async function answer(q, side, choices) {
    for (const node of Object.values(choices)) node.querySelector(".pick").disabled = true;
    let result;
    try {
      result = await Shizu.json(`/api/blind/${encodeURIComponent(q.id)}?${new URLSearchParams({voter})}`,
                                Shizu.post({choice: side}));
    } catch (error) {
      $("blind").append(el("p", {class: "notice"}, error.message));
      return;
    }
    for (const [key, node] of Object.entries(choices)) {
      const real = key === result.real;
      node.classList.add(real ? "real" : "model");
      node.querySelector(".pick").remove();
      node.querySelector(".label").append(el("span", {class: `verdict ${real ? "real" : "model"}`}, real ? "Real" : "Model"));
    }
    scores(result);
    const next = el("button", {class: "button", type: "button", id: "next"}, "Next question");
    next.addEventListener("click", ask);
    $("blind").append(el("div", {class: `outcome ${result.correct ? "right" : "wrong"}`},
      el("span", {class: "says"}, result.correct ? "Right: you spotted the real reply." : `Fooled: reply ${result.real.toUpperCase()} was the real one.`),
      next));
    next.scrollIntoView({behavior: "smooth", block: "nearest"});
  }

  await ask();
});
