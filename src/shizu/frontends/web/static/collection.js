// The collection: the gallery of starred exchanges, rendered by the server like the exported page.
"use strict";

Shizu.run(async () => {
  const [info, gallery] = await Promise.all([Shizu.json("/api/info"), Shizu.json("/api/collection")]);
  document.title = `${gallery.title} · Shizu`;
  document.getElementById("persona-title").textContent = info.persona;
  document.getElementById("title").textContent = gallery.title;
  document.getElementById("count").textContent = `${gallery.count} ${gallery.count === 1 ? "exchange" : "exchanges"} so far.`;
  document.getElementById("gallery-css").textContent = gallery.css;
  document.getElementById("gallery").innerHTML = gallery.html;
});
