// The collection: the gallery of starred exchanges, rendered by the server like the exported page
// (its style sheet is /collection.css: the page carries no inline style).
"use strict";

Shizu.run(async () => {
  const [info, gallery] = await Promise.all([Shizu.json("/api/info"), Shizu.json("/api/collection")]);
  document.title = `${gallery.title} · Shizu`;
  document.getElementById("persona-title").textContent = info.persona;
  document.getElementById("title").textContent = gallery.title;
  document.getElementById("count").textContent = `${gallery.count} ${gallery.count === 1 ? "exchange" : "exchanges"} so far.`;
  // The server escapes every text and writes only http(s) and /media/N links; defuse checks again.
  const html = new DOMParser().parseFromString(gallery.html, "text/html");
  document.getElementById("gallery").replaceChildren(...Shizu.defuse(html.body).childNodes);
});
