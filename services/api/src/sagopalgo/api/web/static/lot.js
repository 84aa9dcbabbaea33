// A lot's page: the live price, bid count, history and countdown from the SSE service.
// Plain EventSource; every text goes in through textContent, never as HTML.
// A withdrawn lot is shown as such in place (the page itself would now be a 404), and the stream
// is closed: nothing more can happen to the lot. A relisted lot is a new auction: the page reloads.
(function () {
  "use strict";
  const root = document.getElementById("lot");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const won = (n) => Number(n).toLocaleString("ko-KR") + "원";
  const seoul = (opts) => new Intl.DateTimeFormat("ko-KR", Object.assign({ timeZone: "Asia/Seoul", hourCycle: "h23" }, opts));
  const hhmm = seoul({ hour: "2-digit", minute: "2-digit" });
  const parts = seoul({ month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  // The server's own form, "11월 25일 19:32:19", so live rows match the rendered ones.
  const stamp = {
    format(when) {
      const p = Object.fromEntries(parts.formatToParts(when).map((x) => [x.type, x.value]));
      return p.month + "월 " + p.day + "일 " + p.hour + ":" + p.minute + ":" + p.second;
    },
  };
  const STATUS = { SCHEDULED: "경매 예정", OPEN: "경매 중", SOLD: "낙찰", UNSOLD: "유찰", PAID: "결제 완료", WITHDRAWN: "등록 취소" };
  const startPrice = Number(root.dataset.startPrice);
  const increment = Number(root.dataset.increment);
  const opensAt = new Date(root.dataset.opensAt);
  let closesAt = new Date(root.dataset.closesAt);
  let bidCount = Number(root.dataset.bidCount);
  let status = root.dataset.status;

  function korean(bidder) {
    const m = /^Bidder (\d+)$/.exec(bidder || "");
    return m ? "입찰자 " + m[1] : bidder;
  }

  function showPrice(price, count) {
    if (count < bidCount) return; // a lot's price never goes backwards
    bidCount = count;
    root.dataset.bidCount = String(count);
    $("price").textContent = won(price);
    $("bid-count").textContent = count + "회";
    const minimum = $("minimum-bid");
    if (minimum) {
      const next = count > 0 ? price + increment : startPrice;
      minimum.dataset.amount = String(next);
      minimum.textContent = won(next);
    }
  }

  function showWithdrawn() {
    const panel = $("bid-panel");
    if (panel) {
      const note = document.createElement("p");
      note.className = "note";
      note.setAttribute("role", "status");
      note.dataset.testid = "withdrawn-note";
      note.textContent = "판매자가 등록을 취소한 물품입니다. 경매가 열리지 않습니다.";
      panel.replaceChildren(note);
    }
    tick();
  }

  function showStatus(next) {
    if (!next || next === status) return;
    status = next;
    root.dataset.status = next;
    const badge = $("status");
    badge.textContent = STATUS[next] || next;
    badge.className = "badge status-" + next.toLowerCase();
    if (next === "WITHDRAWN") {
      showWithdrawn(); // no page to fetch the panel from: the lot is gone for everyone
      return;
    }
    const panel = $("bid-panel");
    if (panel && next !== "OPEN" && window.htmx) {
      // The form no longer applies: fetch the page again in place for the closed panel.
      window.htmx.ajax("GET", window.location.pathname, { target: "#bid-panel", select: "#bid-panel", swap: "outerHTML" });
    }
  }

  function showClose(iso) {
    const moved = new Date(iso);
    if (isNaN(moved) || moved.getTime() === closesAt.getTime()) return;
    const later = moved > closesAt;
    closesAt = moved;
    root.dataset.closesAt = iso;
    $("closes-at").textContent = hhmm.format(closesAt);
    if (later) {
      $("extended-to").textContent = hhmm.format(closesAt);
      $("live-note").hidden = false;
    }
    tick();
  }

  function addRow(bid) {
    const rows = $("history-rows");
    if (!rows || rows.querySelector('tr[data-seq="' + bid.bidCount + '"]')) return;
    const row = document.createElement("tr");
    row.dataset.seq = String(bid.bidCount);
    for (const text of [won(bid.amount), korean(bid.bidder), stamp.format(new Date(bid.placedAt))]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    rows.prepend(row);
    const empty = $("no-bids");
    if (empty) empty.remove();
  }

  function refreshHistory() {
    if (window.htmx) window.htmx.ajax("GET", root.dataset.historyUrl, { target: "#history", swap: "innerHTML" });
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  function span(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const days = Math.floor(s / 86400);
    const clock = pad(Math.floor((s % 86400) / 3600)) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return days ? days + "일 " + clock : clock;
  }
  function tick() {
    const now = Date.now();
    let text;
    if (status === "WITHDRAWN") text = "등록 취소";
    else if (status === "SCHEDULED" || now < opensAt.getTime()) text = "시작까지 " + span(opensAt - now);
    else if (status === "OPEN" && now < closesAt.getTime()) text = "마감까지 " + span(closesAt - now);
    else text = "마감";
    $("countdown").textContent = text;
  }
  tick();
  setInterval(tick, 1000);

  for (const thumb of document.querySelectorAll(".thumb")) {
    thumb.addEventListener("click", () => { $("main-photo").src = thumb.dataset.src; });
  }

  if (!window.EventSource) return;
  const events = new EventSource(root.dataset.sseUrl);
  events.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    const missed = s.bidCount > bidCount; // bids placed between this page's render and the stream
    showPrice(s.currentPrice, s.bidCount);
    showStatus(s.status);
    showClose(s.closesAt);
    if (missed) refreshHistory();
    root.dataset.live = "true";
  });
  events.addEventListener("bid", (e) => {
    const b = JSON.parse(e.data);
    showPrice(b.amount, b.bidCount);
    addRow(b);
  });
  events.addEventListener("status", (e) => {
    const s = JSON.parse(e.data);
    if (s.reason === "relisted") {
      // A new auction of the lot on another day: new times, price and history; start afresh.
      events.close();
      window.location.reload();
      return;
    }
    showStatus(s.status);
    if (s.status === "WITHDRAWN") {
      events.close(); // the last event the lot will ever have (the server ends the stream too)
      return;
    }
    if (s.closesAt) showClose(s.closesAt);
  });
  events.addEventListener("error", () => {
    // The browser gave up on the stream (a reconnect was refused). If that is because the lot was
    // withdrawn while this page was not listening, say so rather than go quiet.
    if (events.readyState !== EventSource.CLOSED || status === "WITHDRAWN") return;
    fetch("/api/v1/lots/" + root.dataset.lotId, { headers: { Accept: "application/json" } })
      .then((r) => { if (r.status === 404) showStatus("WITHDRAWN"); })
      .catch(() => {});
  });
})();
