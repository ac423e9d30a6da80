/* Studio: a lesson's file is sent in chunks before the form is saved, with a progress bar, so a
   large video survives a dropped connection: a failed chunk is retried after asking the server
   how much it has, and choosing the same file again after a reload resumes it. The server
   checks the file's first bytes before any chunk is sent. Without JavaScript (or fetch) the
   file goes with the form as usual. Messages come translated in the status box's data-*. */
(function () {
  var CHUNK = 8 * 1024 * 1024;
  var WAITS = [1000, 2000, 4000, 8000, 15000, 30000];

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function base64(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += String.fromCharCode(bytes[i]);
    }
    return window.btoa(text);
  }
  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1);
  }
  function sleep(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }
  function remembered(file) {
    return "kpay-upload-" + [file.name, file.size, file.lastModified].join(":");
  }

  function uploader(form) {
    var input = form.querySelector('input[type="file"][name="file"]');
    var token = form.querySelector('input[name="upload"]');
    var kind = form.querySelector('[name="kind"]');
    var box = form.querySelector("[data-upload-status]");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-upload-text]");
    var submit = form.querySelector('button[type="submit"]');
    var busy = false;

    function show(message, isError) {
      box.hidden = false;
      text.textContent = message;
      text.className = isError ? "error" : "";
    }
    function progress(done, total) {
      bar.max = total;
      bar.value = done;
      show(box.dataset.progress.replace("%(done)s", megabytes(done)).replace("%(total)s", megabytes(total)));
    }
    function offsetOf(url) {
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      }).then(function (data) { return data.offset; });
    }
    function begin(file) {
      return file.slice(0, 4096).arrayBuffer().then(function (head) {
        return fetch(form.dataset.uploadUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ kind: kind.value, filename: file.name, size: file.size, head: base64(head) })
        });
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            throw { message: data.error || box.dataset.failed };
          }
          return data;
        });
      });
    }
    async function send(file, url, offset) {
      var failures = 0;
      while (offset < file.size) {
        progress(offset, file.size);
        try {
          var response = await fetch(url, {
            method: "PATCH", credentials: "same-origin", body: file.slice(offset, offset + CHUNK),
            headers: { "Upload-Offset": String(offset), "X-CSRFToken": csrf(),
                       "Content-Type": "application/offset+octet-stream" }
          });
          if (response.status !== 200 && response.status !== 409) {
            throw new Error("status " + response.status);
          }
          offset = (await response.json()).offset;
          failures = 0;
        } catch (error) {
          if (failures >= WAITS.length) {
            throw { message: box.dataset.paused };
          }
          show(box.dataset.retrying);
          await sleep(WAITS[failures]);
          failures += 1;
          offset = await offsetOf(url).catch(function () { return offset; });
        }
      }
      progress(file.size, file.size);
    }
    async function start() {
      var file = input.files && input.files[0];
      token.value = "";
      if (!file || busy) {
        return;
      }
      busy = true;
      submit.disabled = true;
      var key = remembered(file);
      try {
        var saved = JSON.parse(window.localStorage.getItem(key) || "null");
        var offset = 0;
        if (saved) {
          offset = await offsetOf(saved.url).catch(function () { saved = null; return 0; });
        }
        if (!saved) {
          saved = await begin(file);
          window.localStorage.setItem(key, JSON.stringify(saved));
        }
        await send(file, saved.url, offset);
        window.localStorage.removeItem(key);
        token.value = saved.token;
        input.value = "";
        show(box.dataset.done.replace("%(name)s", file.name));
      } catch (error) {
        show(error.message || box.dataset.failed, true);
      } finally {
        busy = false;
        submit.disabled = false;
      }
    }
    input.addEventListener("change", start);
    kind.addEventListener("change", function () {
      if (token.value) {
        token.value = "";
        show(box.dataset.again, true);
      }
    });
    form.addEventListener("submit", function (event) {
      if (busy) {
        event.preventDefault();
      }
    });
  }

  function scan() {
    if (!window.fetch || !window.Blob || !Blob.prototype.slice || !window.localStorage) {
      return;
    }
    document.querySelectorAll("form[data-upload-url]").forEach(function (form) {
      if (!form.dataset.uploading) {
        form.dataset.uploading = "1";
        uploader(form);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
  if (document.readyState !== "loading") {
    scan();  /* added to a boosted page after it was swapped in */
  }
})();
