/* Polku: two versions of one model side by side, their differences marked (designer_diff.html).
 *
 * Both versions are drawn with the bundled bpmn-js viewer (window.PolkuBpmn, built from
 * web/assets/polku-bpmn.js) and compared with bpmn-js-differ (PolkuBpmn.diff): on the old
 * diagram the removed elements get the marker "polku-left-out" and a badge "−", on the new one
 * the added elements "polku-added" and "+"; changed elements get "polku-changed" and "~" on both;
 * elements only moved on the canvas "polku-moved" on the new one. The server's list of changes
 * (in #version-diff-data, the same as the table) decides an element's kind where it names it.
 * Under each diagram a list says in words what is marked on it (for a changed element, what
 * changed: the server's words, or else the differ's attribute names).
 */
(function () {
  'use strict';

  var MARKERS = {
    added: 'polku-added',
    removed: 'polku-left-out',
    changed: 'polku-changed',
    layout: 'polku-moved'
  };
  var SYMBOLS = { added: '+', removed: '−', changed: '~', layout: '↔' };
  var viewers = {};

  function readData() {
    var element = document.getElementById('version-diff-data');
    try {
      return element ? JSON.parse(element.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  function say(container, key) {
    var status = document.getElementById(container.id + '-status');
    if (status) {
      status.textContent = key ? status.getAttribute('data-' + key) || '' : '';
      status.classList.toggle('diagram-failed', key === 'failed');
    }
  }

  function labelDrawing(container) {
    var svg = container.querySelector('.djs-container > svg');
    if (!svg) {
      return;
    }
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', container.getAttribute('data-label') || '');
    var description = container.getAttribute('data-describedby');
    if (description) {
      svg.setAttribute('aria-describedby', description);
    }
  }

  function load(container) {
    say(container, 'loading');
    return fetch(container.getAttribute('data-diagram-url'), {
      credentials: 'same-origin',
      headers: { Accept: 'application/xml' }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      return response.text();
    }).then(function (xml) {
      var viewer = new window.PolkuBpmn.Viewer({ container: container });
      viewers[container.id] = viewer;
      return viewer.importXML(xml).then(function () {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
        labelDrawing(container);
        return viewer;
      });
    });
  }

  function keys(object) {
    return Object.keys(object || {});
  }

  // {id: kind} for each diagram: the differ's findings, the server's kinds where it has one.
  function kindsOf(changes, server) {
    var old = {};
    var now = {};
    keys(changes._removed).forEach(function (id) { old[id] = 'removed'; });
    keys(changes._added).forEach(function (id) { now[id] = 'added'; });
    keys(changes._changed).forEach(function (id) { old[id] = now[id] = 'changed'; });
    keys(changes._layoutChanged).forEach(function (id) {
      if (!now[id]) {
        now[id] = 'layout';
      }
    });
    (server.removed || []).forEach(function (id) { old[id] = 'removed'; delete now[id]; });
    (server.added || []).forEach(function (id) { now[id] = 'added'; delete old[id]; });
    (server.changed || []).forEach(function (id) { old[id] = now[id] = 'changed'; });
    return { old: old, now: now };
  }

  function changedAttributes(changes, id) {
    var entry = (changes._changed || {})[id];
    return entry && entry.attrs ? keys(entry.attrs) : [];
  }

  function mark(viewer, kinds, data, changes, list) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    var overlays = viewer.get('overlays');
    var messages = data.messages || {};
    var names = data.names || {};
    var types = data.types || {};
    list.textContent = '';
    keys(kinds).forEach(function (id) {
      var kind = kinds[id];
      var element = registry.get(id);
      if (!element || element.labelTarget) {
        return; // not drawn (a process, a message, a lane set): the table lists it
      }
      canvas.addMarker(id, MARKERS[kind]);
      var badge = document.createElement('span');
      badge.className = 'diff-badge diff-badge-' + kind;
      badge.setAttribute('data-diff-id', id);
      badge.setAttribute('data-diff-kind', kind);
      badge.title = messages[kind] || kind;
      var symbol = document.createElement('span');
      symbol.setAttribute('aria-hidden', 'true');
      symbol.textContent = SYMBOLS[kind];
      var text = document.createElement('span');
      text.className = 'visually-hidden';
      text.textContent = messages[kind] || kind;
      badge.appendChild(symbol);
      badge.appendChild(text);
      overlays.add(id, 'polku-diff', { position: { top: -12, right: 12 }, html: badge });

      var business = element.businessObject || {};
      var type = (business.$type || '').replace(/^bpmn:/, '');
      type = type.charAt(0).toLowerCase() + type.slice(1);
      var item = document.createElement('li');
      item.setAttribute('data-diff-id', id);
      item.setAttribute('data-diff-kind', kind);
      var name = names[id] || business.name || '';
      var attributes = kind !== 'changed' ? [] :
        (data.facets || {})[id] || changedAttributes(changes, id);
      item.textContent = SYMBOLS[kind] + ' ' + (messages[kind] || kind) + ': ' +
        (name ? name + ' ' : '') + '(' + id + ', ' + (types[type] || type) + ')' +
        (attributes.length ? ' – ' + attributes.join(', ') : '');
      list.appendChild(item);
    });
    if (!list.children.length) {
      var none = document.createElement('li');
      none.textContent = messages.none || '';
      list.appendChild(none);
    }
    var box = document.getElementById(list.id + '-box');
    if (box) {
      box.hidden = false;
    }
  }

  function zoom(event) {
    var button = event.target.closest('[data-diagram-zoom]');
    var viewer = button && viewers[button.getAttribute('aria-controls')];
    if (!viewer) {
      return;
    }
    var canvas = viewer.get('canvas');
    var how = button.getAttribute('data-diagram-zoom');
    if (how === 'fit') {
      canvas.zoom('fit-viewport', 'auto');
    } else {
      var level = canvas.zoom();
      canvas.zoom(how === 'in' ? level * 1.25 : level / 1.25, 'auto');
    }
  }

  function failed(containers, data, error) {
    containers.forEach(function (container) {
      container.setAttribute('data-diagram-ready', 'failed');
      say(container, 'failed');
    });
    var status = document.getElementById('diff-status');
    if (status) {
      status.textContent = (data.messages || {}).noScript || '';
    }
    if (error && window.console) {
      window.console.error('Polku: version diff', error);
    }
  }

  function start() {
    var oldContainer = document.getElementById('diagram-old');
    var newContainer = document.getElementById('diagram-new');
    if (!oldContainer || !newContainer) {
      return;
    }
    var containers = [oldContainer, newContainer];
    var data = readData();
    if (!window.PolkuBpmn || !window.PolkuBpmn.Viewer || !window.PolkuBpmn.diff) {
      failed(containers, data, null);
      return;
    }
    document.addEventListener('click', zoom);
    Promise.all(containers.map(load)).then(function (drawn) {
      var changes = window.PolkuBpmn.diff(drawn[0].getDefinitions(), drawn[1].getDefinitions());
      var kinds = kindsOf(changes, data.server || {});
      mark(drawn[0], kinds.old, data, changes, document.getElementById('diagram-old-marks'));
      mark(drawn[1], kinds.now, data, changes, document.getElementById('diagram-new-marks'));
      containers.forEach(function (container) {
        container.setAttribute('data-diagram-ready', 'true');
        say(container, null);
      });
    }).catch(function (error) {
      failed(containers, data, error);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
