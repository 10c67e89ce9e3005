/* Typeset the book's maths with the self-hosted KaTeX, on every page (instant navigation too).
 * Only arithmatex's own elements are touched, never demo output, so a reader's "$" stays a "$". */
(() => {
  "use strict";
  function typeset(root) {
    if (!window.renderMathInElement) return;
    for (const el of root.querySelectorAll(".arithmatex")) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        throwOnError: false,
      });
    }
  }
  if (window.document$) window.document$.subscribe(({ body }) => typeset(body));
  else document.addEventListener("DOMContentLoaded", () => typeset(document.body));
})();
