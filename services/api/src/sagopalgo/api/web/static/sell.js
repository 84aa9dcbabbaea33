// Selling: each photo uploads the moment it is chosen or dropped (a presigned POST straight to
// storage, with progress), while the seller fills in the rest; the form sends only the keys.
(function () {
  "use strict";
  const form = document.getElementById("sell-form");
  if (!form) return;
  const list = document.getElementById("uploads");
  const input = document.getElementById("photo-input");
  const drop = document.getElementById("drop-zone");
  const wait = document.getElementById("upload-wait");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let pending = 0;
  let submitWhenDone = false;

  function item(file) {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    img.alt = "";
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const label = document.createElement("span");
    label.textContent = "올리는 중…";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "빼기";
    li.append(img, bar, label, remove);
    list.appendChild(li);
    return { li, bar, label };
  }

  function finished() {
    pending -= 1;
    if (pending === 0 && submitWhenDone) {
      submitWhenDone = false;
      wait.hidden = true;
      form.requestSubmit();
    }
  }

  async function upload(file) {
    const view = item(file);
    pending += 1;
    try {
      const asked = await fetch(form.dataset.uploadUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "x-csrftoken": csrf },
        body: JSON.stringify({ contentType: file.type, size: file.size }),
      });
      const ticket = await asked.json();
      if (!asked.ok) throw new Error(ticket.detail || "사진을 올리지 못했습니다.");
      await send(ticket, file, view.bar);
      const key = document.createElement("input");
      key.type = "hidden";
      key.name = "imageKeys";
      key.value = ticket.key;
      view.li.appendChild(key);
      view.li.classList.add("done");
      view.label.textContent = "업로드 완료";
      view.bar.value = 100;
    } catch (err) {
      view.li.classList.add("failed");
      view.label.textContent = err.message || "사진을 올리지 못했습니다.";
      view.bar.remove();
    } finally {
      finished();
    }
  }

  function send(ticket, file, bar) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      for (const [name, value] of Object.entries(ticket.fields)) body.append(name, value);
      body.append("file", file); // last, as S3 wants it
      const xhr = new XMLHttpRequest(); // fetch cannot report upload progress
      xhr.open("POST", ticket.uploadUrl);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); };
      xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error("사진을 올리지 못했습니다 (" + xhr.status + ").")));
      xhr.onerror = () => reject(new Error("사진을 올리지 못했습니다 (네트워크)."));
      xhr.send(body);
    });
  }

  function take(files) { for (const file of files) upload(file); }

  input.addEventListener("change", () => { take(input.files); input.value = ""; });
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => { e.preventDefault(); take(e.dataTransfer.files); });
  list.addEventListener("click", (e) => {
    if (e.target.classList.contains("remove")) e.target.closest("li").remove();
  });
  form.addEventListener("submit", (e) => {
    if (pending > 0) { // the photos are still on their way: list the lot the moment they land
      e.preventDefault();
      submitWhenDone = true;
      wait.hidden = false;
      return;
    }
    form.querySelector("#sell-submit").disabled = true;
  });
})();
