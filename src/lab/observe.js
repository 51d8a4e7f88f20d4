// kiln lab: added to every page before its own scripts run. Records what the Performance
// APIs report while the page loads, and what goes wrong; the lab reads it through
// `__kilnLab.state()` while waiting for quiet and `__kilnLab.collect()` at the end.
(() => {
  const lab = { fcp: null, lcp: null, lcpElement: null, lcpUrl: null, shifts: [], longTasks: [], problems: [], last: 0 };
  const describe = (node) => {
    if (!node || node.nodeType !== 1) return null;
    let s = node.localName;
    if (node.id) s += "#" + node.id;
    else if (node.classList && node.classList.length) s += "." + Array.from(node.classList).slice(0, 2).join(".");
    return s;
  };
  const watch = (type, each) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(each)).observe({ type, buffered: true });
    } catch (_) {}
  };
  try {
    performance.setResourceTimingBufferSize(100000);
  } catch (_) {}
  watch("paint", (e) => {
    if (e.name === "first-contentful-paint") lab.fcp = e.startTime;
  });
  watch("largest-contentful-paint", (e) => {
    lab.lcp = e.renderTime || e.loadTime || e.startTime;
    lab.lcpElement = describe(e.element);
    lab.lcpUrl = e.url || null;
  });
  watch("layout-shift", (e) => {
    if (!e.hadRecentInput) {
      lab.shifts.push({ t: e.startTime, v: e.value, by: (e.sources || []).map((s) => describe(s.node)).filter(Boolean) });
    }
  });
  watch("longtask", (e) => {
    lab.longTasks.push({ t: e.startTime, d: e.duration });
    lab.last = Math.max(lab.last, e.startTime + e.duration);
  });
  watch("resource", (e) => {
    lab.last = Math.max(lab.last, e.responseEnd);
  });
  addEventListener(
    "error",
    (e) => {
      const t = e.target;
      if (t && t !== window && t.nodeType === 1) {
        lab.problems.push({ kind: "failed_request", message: (t.currentSrc || t.src || t.href || describe(t)) + " did not load" });
      } else {
        const where = e.filename ? ` (${e.filename}:${e.lineno}:${e.colno})` : "";
        lab.problems.push({ kind: "exception", message: String(e.message || e.error) + where });
      }
    },
    true,
  );
  addEventListener("unhandledrejection", (e) => {
    const r = e.reason;
    lab.problems.push({ kind: "exception", message: "Uncaught (in promise) " + (r && r.stack ? String(r.stack).split("\n")[0] : String(r)) });
  });
  const error = console.error;
  console.error = function (...args) {
    lab.problems.push({ kind: "console_error", message: args.map((a) => (a && a.stack) || String(a)).join(" ") });
    return error.apply(this, args);
  };
  lab.state = () => ({ now: performance.now(), last: lab.last, complete: document.readyState === "complete" });
  lab.collect = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource").map((r) => ({
      url: r.name,
      transfer: r.transferSize,
      status: r.responseStatus || 0,
      blocking: r.renderBlockingStatus === "blocking",
      end: r.responseEnd,
    }));
    if (nav) resources.unshift({ url: nav.name, transfer: nav.transferSize, status: nav.responseStatus || 0, blocking: true, end: nav.responseEnd });
    return JSON.stringify({
      fcp: lab.fcp,
      lcp: lab.lcp,
      lcpElement: lab.lcpElement,
      lcpUrl: lab.lcpUrl,
      shifts: lab.shifts,
      longTasks: lab.longTasks,
      problems: lab.problems,
      resources,
      now: performance.now(),
      origin: performance.timeOrigin,
    });
  };
  Object.defineProperty(window, "__kilnLab", { value: lab });
})();
