// Production checkout: Toss Payments' JS SDK (v2, standard window) with the order our server issued.
(function () {
  "use strict";
  const box = document.getElementById("checkout");
  const button = document.getElementById("open-checkout");
  if (!box || !button) return;
  button.addEventListener("click", async () => {
    const d = box.dataset;
    try {
      const toss = window.TossPayments(d.clientKey);
      const payment = toss.payment({ customerKey: d.customerKey });
      await payment.requestPayment({
        method: "CARD",
        amount: { currency: "KRW", value: Number(d.amount) },
        orderId: d.orderId,
        orderName: d.orderName,
        successUrl: d.successUrl,
        failUrl: d.failUrl,
      });
    } catch (err) {
      const shown = document.getElementById("checkout-error");
      shown.textContent = (err && err.message) || "결제창을 열지 못했습니다.";
      shown.hidden = false;
    }
  });
})();
