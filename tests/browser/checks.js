// Our own checks where axe is silent. Each returns a list of problems (empty: the page passes).
// Evaluated by tests/browser/audit.py as `(<this object>).name(...)`.
({
  // Seen by a sighted person: displayed, not clipped away (the visually-hidden pattern), sized.
  visible(el) {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) return false;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) return false;
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.clip === "rect(0px, 0px, 0px, 0px)" || s.clipPath === "inset(50%)") return false;
    }
    return true;
  },

  shown(el) {
    return !!el && this.visible(el) && el.innerText.trim() !== "";
  },

  // A field of the availability grid is labelled, for the eye, by its row and column headers.
  gridLabelled(field) {
    const cell = field.closest("td");
    if (!cell) return false;
    const row = cell.parentElement.querySelector("th[scope=row]");
    const table = cell.closest("table");
    const column = table && table.querySelectorAll("thead th")[cell.cellIndex - 1];
    return this.shown(row) && this.shown(column);
  },

  // lang, title, one h1, and a visible label for every visible field (a placeholder is no label).
  structure() {
    const problems = [];
    if (!document.documentElement.lang) problems.push("<html> has no lang");
    if (!document.title.trim()) problems.push("empty <title>");
    const h1 = [...document.querySelectorAll("h1")];
    if (h1.length !== 1) problems.push(`${h1.length} <h1> on the page`);
    else if (!this.shown(h1[0])) problems.push("the <h1> is not visible");
    for (const field of document.querySelectorAll("input, select, textarea")) {
      if (["hidden", "submit", "button", "reset", "image"].includes(field.type)) continue;
      if (!this.visible(field)) continue;
      const labels = [...(field.labels || [])];
      const by = (field.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
        .map((id) => document.getElementById(id));
      if ([...labels, ...by].some((el) => this.shown(el)) || this.gridLabelled(field)) continue;
      problems.push(`field "${field.name || field.id}" has no visible label`);
    }
    return problems;
  },

  // Every focusable element looks different when focused: outline or box-shadow.
  focus() {
    const problems = [];
    if (document.activeElement) document.activeElement.blur();
    const look = (el) => {
      const s = getComputedStyle(el);
      return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join("|");
    };
    const selector = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])";
    for (const el of document.querySelectorAll(selector)) {
      if (el.disabled || el.type === "hidden" || !this.visible(el)) continue;
      const before = look(el);
      el.focus();
      if (document.activeElement === el && look(el) === before) {
        problems.push(`no visible focus on ${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.id || "").trim().slice(0, 40)}"`);
      }
      el.blur();
    }
    window.scrollTo(0, 0);
    return problems;
  },

  // The page scrolls horizontally (WCAG 1.4.10 reflow): widths of the page and of the window.
  horizontalScroll() {
    const root = document.documentElement;
    return root.scrollWidth > root.clientWidth ? [`${root.scrollWidth} px wide in ${root.clientWidth} px`] : [];
  },

  // The font size of every visible text, in document order (to compare before and after zoom).
  textSizes() {
    return [...document.body.querySelectorAll("*")]
      .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
      .map((el) => [this.visible(el) ? parseFloat(getComputedStyle(el).fontSize) : 0,
        `${el.tagName.toLowerCase()}.${el.className} "${el.innerText.trim().slice(0, 30)}"`]);
  },

  // No box that hides its overflow holds more text than it shows; no horizontal scroll.
  textCut() {
    const problems = [...this.horizontalScroll()];
    for (const el of document.body.querySelectorAll("*")) {
      const s = getComputedStyle(el);
      const clips = [s.overflowX, s.overflowY].some((v) => v === "hidden" || v === "clip");
      if (!clips || !this.visible(el) || !el.innerText || !el.innerText.trim()) continue;
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
        problems.push(`text cut in ${el.tagName.toLowerCase()}.${el.className}: "${el.innerText.trim().slice(0, 40)}"`);
      }
    }
    return problems;
  },
})
