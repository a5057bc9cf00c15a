// What every Shizu page shares: API calls (asking for the key when the server wants one),
// server-sent events over POST, and rendering messages the way Discord shows them.
// The pages run under a Content-Security-Policy without inline scripts or styles: styles are
// set through the CSSOM (node.style), never as attributes. Links and sources are only http(s)
// URLs or the server's /media/N (safeUrl); anything else is shown as text. The key's cookie is
// set by the server (POST /api/login, HttpOnly): no script of the page reads or writes cookies.
"use strict";

const Shizu = (() => {
  const COLOURS = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#1abc9c", "#e67e22", "#9b59b6"];
  const GROUP_MS = 7 * 60 * 1000;  // Discord groups one author's messages sent within 7 minutes

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "style") Object.assign(node.style, value);
      else if (key === "html") node.innerHTML = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  // The only URLs a page links to or loads: http(s) with no space or control character, or /media/N.
  const WEB_URL = /^https?:\/\/[^\s\x00-\x1f\x7f]+$/i;
  function safeUrl(url) {
    return typeof url === "string" && (WEB_URL.test(url) || /^\/media\/\d+$/.test(url)) ? url : null;
  }
  // Drops every link or source that safeUrl refuses, in HTML that came from the server.
  function defuse(node) {
    for (const link of node.querySelectorAll("[href]")) if (!safeUrl(link.getAttribute("href"))) link.removeAttribute("href");
    for (const media of node.querySelectorAll("[src]")) if (!safeUrl(media.getAttribute("src"))) media.remove();
    for (const bad of node.querySelectorAll("script, iframe, object, embed, form, base, meta, link, style")) bad.remove();
    for (const child of node.querySelectorAll("*")) {
      for (const {name} of [...child.attributes]) if (/^on/i.test(name) || name === "style") child.removeAttribute(name);
    }
    return node;
  }

  function escape(text) {
    return text.replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  // Discord's everyday markdown, links, custom emoji and media tags, on escaped text.
  const TOKENS = /`([^`\n]+)`|(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|<a?:([A-Za-z0-9_~-]+):\d+>|\[(gif|image|video|sticker|file|link):\s*([^\]\n]*)\]/g;
  function markdown(text) {
    let out = "", pos = 0;
    for (const m of text.matchAll(TOKENS)) {
      out += emphasis(text.slice(pos, m.index));
      if (m[1] !== undefined) out += `<code>${escape(m[1])}</code>`;
      else if (m[2] !== undefined) out += `<a href="${escape(m[2])}" target="_blank" rel="noopener noreferrer">${escape(m[2])}</a>`;
      else if (m[3] !== undefined) out += `<span class="emoji">:${escape(m[3])}:</span>`;
      else out += `<span class="chip">${escape(m[4])}: ${escape(m[5])}</span>`;
      pos = m.index + m[0].length;
    }
    return out + emphasis(text.slice(pos));
  }
  function emphasis(text) {
    return escape(text)
      .replace(/\*\*(.+?)\*\*/gs, "<strong>$1</strong>")
      .replace(/__(.+?)__/gs, "<u>$1</u>")
      .replace(/(^|[^\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])/gs, "$1<em>$2</em>")
      .replace(/~~(.+?)~~/gs, "<s>$1</s>");
  }

  function colour(name) {
    let hash = 0;
    for (const c of name) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
    return COLOURS[hash % COLOURS.length];
  }
  function avatar(name, extra = "") {
    return el("div", {class: `avatar ${extra}`.trim(), style: {background: colour(name)}}, (name.trim()[0] || "?").toUpperCase());
  }
  function clock(date) {
    return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }
  function hhmm(date) {  // the short time Discord shows beside a grouped message
    return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  }

  function media(item) {
    const box = el("div", {class: "media"});
    const src = safeUrl(item.src);
    if (item.show === "image" && src) {
      const img = el("img", {src, alt: item.label, title: item.label, loading: "lazy"});
      img.addEventListener("error", () => box.replaceChildren(card(item)));
      box.append(el("a", {href: src, target: "_blank", rel: "noopener noreferrer"}, img));
    } else if ((item.show === "video" || item.show === "audio") && src) {
      box.append(el(item.show, {src, controls: "", preload: "metadata", title: item.label}));
    } else {
      box.append(card(item));
    }
    return box;
  }
  function card(item) {
    const src = safeUrl(item.src);
    const label = src ? el("a", {href: src, target: "_blank", rel: "noopener noreferrer"}, item.label) : el("span", {}, item.label);
    return el("div", {class: "card"}, el("span", {class: "kind"}, item.kind), label);
  }

  // A list of messages grouped by author like Discord: avatar and name on the first of a run.
  class MessageList {
    constructor(node, persona) { this.node = node; this.persona = persona; this.last = null; }
    add({author, text = "", media: items = [], time = new Date(), persona = false, bot = persona}) {
      const first = !this.last || this.last.author !== author || time - this.last.time > GROUP_MS;
      const content = el("div", {class: "content"});
      if (first) {
        content.append(el("div", {class: "head"},
          el("span", {class: "name", style: {color: colour(author)}}, author),
          bot ? el("span", {class: "tag-bot"}, "BOT") : null,
          el("span", {class: "time"}, clock(time))));
      }
      if (text.trim()) content.append(el("div", {class: "text", html: markdown(text)}));
      for (const item of items) content.append(media(item));
      const gutter = el("div", {class: "gutter"}, first ? avatar(author) : el("span", {class: "stamp"}, hhmm(time)));
      const row = el("div", {class: `msg${first ? " first" : ""}${persona ? " persona" : " friend"}`}, gutter, content);
      this.node.append(row);
      this.last = {author, time};
      return row;
    }
    clear() { this.node.replaceChildren(); this.last = null; }
  }

  // The API, asking for the server's key when it answers 401.
  let asking = null;
  async function api(path, options = {}) {
    const response = await fetch(path, options);
    if (response.status === 401) {
      await askKey();
      return api(path, options);
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try { message = (await response.json()).error.message; } catch (_) { /* not our JSON */ }
      throw new Error(message);
    }
    return response;
  }
  async function json(path, options) { return (await api(path, options)).json(); }
  function post(body) {
    return {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  }

  // The key dialog: the key goes to POST /api/login, which sets the page's cookie (HttpOnly).
  function askKey(rejected = false) {
    if (asking) return asking;
    asking = new Promise(resolve => {
      const input = el("input", {type: "password", placeholder: "API key", autocomplete: "current-password", id: "key"});
      const form = el("form", {}, input, el("button", {class: "button", type: "submit"}, "Unlock"));
      const wrong = el("p", {class: "wrong"}, "The server did not accept the key this browser had.");
      wrong.hidden = !rejected;
      const veil = el("div", {class: "veil"}, el("div", {class: "dialog"},
        el("h2", {}, "This server needs a key"),
        el("p", {}, "Ask the person running Shizu for it. It stays in this browser (a cookie for this site only)."),
        wrong, form));
      form.addEventListener("submit", async event => {
        event.preventDefault();
        let answer;
        try {
          answer = await (await fetch("/api/login", post({key: input.value.trim()}))).json();
        } catch (error) {
          answer = {unlocked: false};
        }
        if (!answer.unlocked) {
          wrong.textContent = "The server did not accept this key.";
          wrong.hidden = false;
          input.select();
          return;
        }
        if (answer.secure && location.protocol !== "https:") {
          wrong.textContent = "The key is right, but this server keeps it only over HTTPS: open the page through its https:// address.";
          wrong.hidden = false;
          return;
        }
        veil.remove();
        asking = null;
        resolve();
      });
      document.body.append(veil);
      input.focus();
    });
    return asking;
  }
  // Before a page asks the API anything: unlock it when the server needs a key this browser lacks.
  async function unlock() {
    const session = await (await fetch("/api/session")).json();
    if (session.key_needed && !session.unlocked) await askKey(session.rejected);
  }

  // Server-sent events of a POST response: calls on(event, data) for each, in order.
  async function events(response, on) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(5).replace(/^ /, "");
        }
        if (data) on(name, JSON.parse(data));
      }
    }
  }

  // The server rail on the left: one icon per page, the current one marked.
  const ICONS = {
    chat: ["/", "Chat", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"],
    collection: ["/collection", "Collection", "M12 2l2.9 6.6 7.1.6-5.4 4.7 1.6 7.1L12 17.3 5.8 21l1.6-7.1L2 9.2l7.1-.6z"],
    blind: ["/blind", "Blind test", "M12 5C6.5 5 2.7 9.1 1.5 12c1.2 2.9 5 7 10.5 7s9.3-4.1 10.5-7C21.3 9.1 17.5 5 12 5zm0 11.5A4.5 4.5 0 1 1 12 7.5a4.5 4.5 0 0 1 0 9zm0-2.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4z"],
  };
  function rail() {
    const nav = document.querySelector("nav.rail");
    const links = Object.entries(ICONS).map(([page, [href, label, path]]) => {
      const link = el("a", {href, "data-label": label, "aria-label": label, class: page === nav.dataset.page ? "active" : ""});
      link.innerHTML = `<svg width="24" height="24" viewBox="0 0 24 24" fill="currentColor"><path d="${path}"/></svg>`;
      return link;
    });
    nav.replaceChildren(links[0], el("hr"), ...links.slice(1));
  }

  // Run a page's script; what goes wrong is shown on the page.
  function run(main) {
    rail();
    unlock().then(main).catch(error => document.querySelector(".main").append(el("p", {class: "notice"}, error.message)));
  }

  function stored(key, fallback) { return localStorage.getItem(`shizu.${key}`) ?? fallback; }
  function store(key, value) { localStorage.setItem(`shizu.${key}`, value); }
  // This browser's random id for the blind test and feedback (no account, no address), made once.
  function voter() {
    let id = stored("voter", "");
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      id = crypto.randomUUID();
      store("voter", id);
    }
    return id;
  }

  return {el, escape, safeUrl, defuse, markdown, avatar, colour, media, MessageList, api, json, post, events, stored, store, voter, run};
})();
