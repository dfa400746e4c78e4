/*
 * dce.js: dynamic number insertion with one tag.
 *
 *   <script src="https://dce.example.com/dce.js" data-pool="rp_…" data-number="(888) 555-4444" async></script>
 *
 * data-pool     the pool's key (ring_pool_key; retreaver-js calls it campaign_key)
 * data-number   the page's own number; every usual way of writing it is swapped
 * data-tags     optional "k=v&k2=v2" tags for the visitor's session
 *
 * The leased number replaces the page's number in text and tel: links (also in content
 * added later), and is kept alive every 15 s while the page is open. A call to it is
 * attributed to this visit: its utm_* parameters, click ids, pages and visitor id.
 * The page receives a `dce:number` event with the number's details.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/dce\.js(\?|$)/.test(all[i].src)) { script = all[i]; break; }
    }
  }
  if (!script) return;
  var key = script.getAttribute("data-pool") || script.getAttribute("data-campaign-key");
  if (!key) return;
  var origin = script.src.replace(/^(https?:\/\/[^\/]+).*$/, "$1");
  var pageNumber = script.getAttribute("data-number");
  var extraTags = script.getAttribute("data-tags") || "";

  function store(kind, name, value) {
    try {
      var s = window[kind];
      if (value === undefined) return s.getItem(name);
      s.setItem(name, value);
    } catch (e) { return null; }
  }
  function b64(text) { return window.btoa(unescape(encodeURIComponent(text))); }
  function digits(text) { return String(text).replace(/\D/g, "").replace(/^1(?=\d{10}$)/, ""); }
  function post(path, body) {
    return fetch(origin + path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), keepalive: true
    }).then(function (r) { return r.json(); });
  }

  var landing = store("sessionStorage", "dce_landing") || window.location.href;
  store("sessionStorage", "dce_landing", landing);
  var body = {
    u: b64(window.location.href),
    ou: b64(landing),
    st: b64(extraTags ? "&" + extraTags.replace(/^&/, "") : ""),
    visitor_id: store("localStorage", "dce_visitor") || undefined
  };
  var query = "?campaign_key=" + encodeURIComponent(key) + (pageNumber ? "&default_number=" + encodeURIComponent(pageNumber) : "");

  function swap(root, number) {
    var replacements = number.replacement_numbers || [];
    if (!replacements.length || !root) return;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue, changed = text;
      for (var r = 0; r < replacements.length; r++) {
        if (changed.indexOf(replacements[r].find) >= 0) changed = changed.split(replacements[r].find).join(replacements[r].replace_with);
      }
      if (changed !== text) node.nodeValue = changed;
    }
    var wanted = replacements.map(function (r) { return digits(r.find); });
    var links = (root.querySelectorAll ? root : document).querySelectorAll("a[href^='tel:']");
    for (var l = 0; l < links.length; l++) {
      var target = links[l].getAttribute("href").slice(4);
      if (wanted.indexOf(digits(target)) >= 0) links[l].setAttribute("href", "tel:" + number.number);
    }
  }

  function keepAlive(number) {
    var timer = setInterval(function () {
      post("/api/v1/numbers/ping", { ids: [number.id], hashes: [number.id_checksum] }).then(function (answer) {
        var status = (answer.numbers || [])[0];
        if (status && status.is_active === "false") clearInterval(timer);
      }, function () {});
    }, 15000);
  }

  function start(number) {
    swap(document.body, number);
    if (window.MutationObserver) {
      new MutationObserver(function (changes) {
        for (var c = 0; c < changes.length; c++) {
          for (var a = 0; a < changes[c].addedNodes.length; a++) {
            var added = changes[c].addedNodes[a];
            if (added.nodeType === 1) swap(added, number);
          }
        }
      }).observe(document.body, { childList: true, subtree: true });
    }
    if (number.is_per_visitor) keepAlive(number);
    window.dispatchEvent(new CustomEvent("dce:number", { detail: number }));
  }

  post("/api/v1/numbers" + query, body).then(function (answer) {
    var number = answer && answer.number;
    if (!number || !number.number) return;
    if (number.visitor_id) store("localStorage", "dce_visitor", number.visitor_id);
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { start(number); });
    } else {
      start(number);
    }
  }, function () {});
})();
