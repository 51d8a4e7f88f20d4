(() => {
  const built = __BUILT__;
  const show = (text) => {
    let box = document.getElementById("kiln-overlay");
    if (!box) {
      box = document.createElement("pre");
      box.id = "kiln-overlay";
      box.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;margin:0;padding:24px;overflow:auto;background:rgba(20,20,20,.96);color:#ffb4a8;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap";
      document.documentElement.appendChild(box);
    }
    box.textContent = "kiln: the build failed; the last good build is served.\n\n" + text;
  };
  const events = new EventSource("/__kiln/live");
  events.addEventListener("hello", (e) => {
    if (Number(e.data) !== built) location.reload();
  });
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("failed", (e) => show(e.data));
})();
