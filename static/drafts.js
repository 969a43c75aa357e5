// Saves a writing form as a draft in the background while the member types, through
// the same /drafts/save address as the form's "Save draft" button. Without this
// script nothing changes: the button still works. The text is never kept in the
// browser's storage (a shared computer must not keep it).
(function () {
  "use strict";

  var QUIET_MS = 3000; // wait for a pause in typing before saving

  function setUp(button) {
    var form = button.form;
    var url = button.getAttribute("data-autosave");
    var status = form.querySelector(".draft-status");
    var timer = null;
    var sending = false;
    var again = false;
    var posted = false;

    // The words come from the page, in its language (data-* on the status line).
    function say(kind, time) {
      if (status) {
        status.textContent = (status.getAttribute("data-" + kind) || "").replace("{time}", time || "");
      }
    }

    function hasText() {
      var fields = form.querySelectorAll("textarea, input[type=text]");
      for (var n = 0; n < fields.length; n++) {
        if (fields[n].value.trim() !== "") {
          return true;
        }
      }
      return false;
    }

    function save() {
      timer = null;
      if (posted || !hasText()) {
        return; // an emptied box leaves the saved draft as it was
      }
      if (sending) {
        again = true;
        return;
      }
      sending = true;
      var data = new FormData(form);
      data.set("save_draft", "1");
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.ok) {
          var now = new Date();
          var time = now.toLocaleTimeString(document.documentElement.lang || [],
                                            { hour: "2-digit", minute: "2-digit" });
          say("saved", time);
        } else if (response.status === 401) {
          say("signed-out");
        } else {
          say("failed");
        }
      }).catch(function () {
        say("failed");
      }).then(function () {
        sending = false;
        if (again && !posted) {
          again = false;
          schedule();
        }
      });
    }

    function schedule() {
      if (timer !== null) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(save, QUIET_MS);
    }

    form.addEventListener("input", schedule);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        posted = false; // back on this page from the browser's history
      }
    });
    form.addEventListener("submit", function () {
      // Posting (or saving by hand) replaces the background save.
      posted = true;
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
    });
  }

  var buttons = document.querySelectorAll("button[data-autosave]");
  for (var i = 0; i < buttons.length; i++) {
    if (buttons[i].form && window.fetch && window.FormData) {
      setUp(buttons[i]);
    }
  }
})();
