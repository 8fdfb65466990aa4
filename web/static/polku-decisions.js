/* Polku: the decision-table editor on /designer/<key>/decisions/<name>: dmn-js's Modeler
 * (node_modules/dmn-js/dist, the global DmnJS) opens the DMN file from
 * #decision-editor[data-xml-url] at its first decision table. "Save as a new version" exports
 * the XML and POSTs {xml} as JSON to data-save-url with the CSRF token from
 * <meta name="csrf-token"> in the X-CSRFToken header. The server answers 201/200 {version,
 * message, url, edit_url} or 400 {error, problems: [{file, element, message, severity}]}.
 */
(function () {
  'use strict';

  var messages = {};
  var modeler = null;

  function $(id) {
    return document.getElementById(id);
  }

  function text(key) {
    return messages[key] || key;
  }

  function showStatus(content, kind) {
    var status = $('decision-status');
    status.className = 'modeller-status' + (kind ? ' is-' + kind : '');
    status.textContent = '';
    if (typeof content === 'string') {
      status.textContent = content;
    } else {
      status.appendChild(content);
    }
  }

  function showProblems(problems) {
    var box = $('decision-problems');
    var list = box.querySelector('ul');
    $('decision-problems-title').textContent = text('problemsTitle');
    list.textContent = '';
    problems.forEach(function (problem) {
      var item = document.createElement('li');
      var severity = document.createElement('span');
      severity.className = 'severity';
      severity.textContent = (problem.severity === 'warning' ? text('warning') : text('error')) + ': ';
      item.appendChild(severity);
      if (problem.file) {
        item.appendChild(document.createTextNode(problem.file + ': '));
      }
      var message = document.createElement('span');
      if (problem.lang) {
        message.lang = problem.lang;
      }
      message.textContent = problem.message;
      item.appendChild(message);
      list.appendChild(item);
    });
    box.hidden = false;
    box.focus();
  }

  function savedMessage(body) {
    var fragment = document.createDocumentFragment();
    fragment.appendChild(document.createTextNode(body.message + ' '));
    if (body.url) {
      var link = document.createElement('a');
      link.href = body.url;
      link.textContent = text('openVersions');
      fragment.appendChild(link);
    }
    return fragment;
  }

  function save() {
    var container = $('decision-editor');
    var button = $('decision-save');
    var token = document.querySelector('meta[name="csrf-token"]');
    button.disabled = true;
    $('decision-problems').hidden = true;
    showStatus(text('saving'));
    modeler.saveXML({ format: true })
      .then(function (result) {
        return fetch(container.getAttribute('data-save-url'), {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'X-CSRFToken': token ? token.getAttribute('content') : ''
          },
          body: JSON.stringify({ xml: result.xml })
        });
      })
      .then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body, redirected: response.redirected };
        }, function () {
          return { status: response.status, body: {}, redirected: response.redirected };
        });
      })
      .then(function (answer) {
        var body = answer.body;
        if (answer.redirected) {
          showStatus(text('sessionEnded'), 'error');
        } else if ((answer.status === 201 || answer.status === 200) &&
                   typeof body.version === 'number') {
          showStatus(savedMessage(body), 'success');
          container.setAttribute('data-saved-version', String(body.version));
        } else if (body.problems && body.problems.length) {
          showStatus(body.error || text('problemsTitle'), 'error');
          showProblems(body.problems);
        } else {
          showStatus(body.error || text('failed'), 'error');
        }
      })
      .catch(function () {
        showStatus(text('failed'), 'error');
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function openFirstTable() {
    var table = modeler.getViews().filter(function (view) {
      return view.type === 'decisionTable';
    })[0];
    return table ? modeler.open(table) : Promise.resolve();
  }

  function start() {
    var container = $('decision-editor');
    var holder = $('decision-messages');
    if (!container || typeof window.DmnJS !== 'function') {
      return;
    }
    messages = holder ? JSON.parse(holder.textContent) : {};
    // dmn-js's menus and labels in the page's language (web/static/polku-i18n.js), given to
    // each view: dmn-js 17 drops `common.additionalModules` when a view has its own
    var translation = window.PolkuI18n ? [window.PolkuI18n.translateModule()] : [];
    modeler = new window.DmnJS({
      container: container,
      common: { keyboard: { bindTo: document } },
      drd: { additionalModules: translation },
      decisionTable: { additionalModules: translation },
      literalExpression: { additionalModules: translation },
      boxedExpression: { additionalModules: translation }
    });
    fetch(container.getAttribute('data-xml-url'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('status ' + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return modeler.importXML(xml);
      })
      .then(openFirstTable)
      .then(function () {
        var button = $('decision-save');
        button.disabled = false;
        button.addEventListener('click', save);
        container.setAttribute('data-ready', 'true');
      })
      .catch(function () {
        showStatus(text('loadFailed'), 'error');
      });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
