/* Polku: the BPMN modeller on /designer/<key>/edit: bpmn-js's Modeler from Polku's bundle
 * (web/static/build/polku-bpmn.js, the global PolkuBpmn) with bpmn.io's properties panel in
 * #modeller-properties, Polku's properties provider (web/assets/properties/polku-provider.js) and
 * the moddle extension of the `spiffworkflow` namespace, so that <spiffworkflow:properties> and
 * <spiffworkflow:messageVariable> round-trip. The panel's choices come from
 * #modeller[data-properties-url] (JSON); without them the modeller still works, without Polku's
 * entries.
 *
 * Loads the version's XML from #modeller[data-xml-url]; "Save as a new version" exports the XML
 * and POSTs {xml, filename, base_version, lane_organisations?} as JSON to data-save-url with the
 * CSRF token from <meta name="csrf-token"> in the X-CSRFToken header (lane_organisations: the
 * lanes' organisations chosen in the panel, for the model.json). The server answers 201/200 {version,
 * message, url} or 400 {error, problems: [{file, element, message, severity}]}; problems are
 * listed and shown on the elements they concern (an overlay and the marker "polku-invalid").
 */
(function () {
  'use strict';

  var OVERLAY_TYPE = 'polku-problem';
  var messages = {};
  var modeler = null;
  var marked = [];
  var dirty = false;

  function $(id) {
    return document.getElementById(id);
  }

  function text(key) {
    return messages[key] || key;
  }

  function showStatus(message, kind) {
    var status = $('modeller-status');
    status.className = 'modeller-status' + (kind ? ' is-' + kind : '');
    status.textContent = '';
    if (typeof message === 'string') {
      status.textContent = message;
    } else if (message) {
      status.appendChild(message);
    }
  }

  function clearProblems() {
    var box = $('modeller-problems');
    box.hidden = true;
    box.querySelector('ul').textContent = '';
    if (!modeler) {
      return;
    }
    modeler.get('overlays').remove({ type: OVERLAY_TYPE });
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    marked.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, 'polku-invalid');
      }
    });
    marked = [];
  }

  function reveal(id) {
    var registry = modeler.get('elementRegistry');
    var element = registry.get(id);
    if (!element) {
      return;
    }
    var canvas = modeler.get('canvas');
    if (canvas.zoom() < 0.9) {
      canvas.zoom(1, 'auto');
    }
    if (typeof canvas.scrollToElement === 'function') {
      canvas.scrollToElement(element, { top: 80, bottom: 80, left: 80, right: 80 });
    }
    modeler.get('selection').select(element);
  }

  function showProblems(problems) {
    var box = $('modeller-problems');
    var list = box.querySelector('ul');
    var registry = modeler.get('elementRegistry');
    var overlays = modeler.get('overlays');
    var canvas = modeler.get('canvas');
    var byElement = {};
    $('modeller-problems-title').textContent = text('problemsTitle');

    problems.forEach(function (problem) {
      var severity = problem.severity === 'warning' ? 'warning' : 'error';
      var element = problem.element && registry.get(problem.element);
      var item = document.createElement('li');
      var label = document.createElement('span');
      label.className = 'severity';
      label.textContent = text(severity) + ': ';
      item.appendChild(label);
      var where = problem.element
        ? (element && element.businessObject && element.businessObject.name
          ? element.businessObject.name + ' (' + problem.element + ')'
          : problem.element)
        : text('wholeModel');
      item.appendChild(document.createTextNode(where + ': '));
      var message = document.createElement('span');
      if (problem.lang) {
        message.lang = problem.lang;
      }
      message.textContent = problem.message;
      item.appendChild(message);
      if (element) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'button-secondary button-small';
        button.textContent = text('showElement');
        button.setAttribute('aria-label', text('showElement') + ': ' + where);
        button.addEventListener('click', function () {
          reveal(element.id);
        });
        item.appendChild(button);
        (byElement[element.id] = byElement[element.id] || []).push(problem);
      }
      list.appendChild(item);
    });

    Object.keys(byElement).forEach(function (id) {
      var note = document.createElement('div');
      var onlyWarnings = byElement[id].every(function (p) { return p.severity === 'warning'; });
      note.className = 'polku-problem' + (onlyWarnings ? ' polku-warning' : '');
      if (byElement[id][0].lang) {
        note.lang = byElement[id][0].lang;
      }
      note.textContent = byElement[id].map(function (p) { return p.message; }).join(' · ');
      overlays.add(id, OVERLAY_TYPE, { position: { top: -10, left: 0 }, html: note });
      canvas.addMarker(id, 'polku-invalid');
      marked.push(id);
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

  /* The save's JSON; the lanes' organisations (model.json, not the BPMN) only once chosen. */
  function saveBody(xml, container) {
    var body = {
      xml: xml,
      filename: container.getAttribute('data-filename'),
      base_version: Number(container.getAttribute('data-base-version'))
    };
    var polkuConfig = modeler.get('config.polku', false);
    if (polkuConfig && polkuConfig.laneOrganisationsChanged) {
      body.lane_organisations = polkuConfig.laneOrganisations;
    }
    return body;
  }

  function save() {
    var container = $('modeller');
    var button = $('modeller-save');
    var token = document.querySelector('meta[name="csrf-token"]');
    button.disabled = true;
    clearProblems();
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
          body: JSON.stringify(saveBody(result.xml, container))
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
        if (answer.redirected) {  // to the login page: the session has ended
          showStatus(text('sessionEnded'), 'error');
        } else if ((answer.status === 201 || answer.status === 200) &&
                   typeof body.version === 'number') {
          dirty = false;
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

  /* bpmn.io's interface strings in the page's language (web/static/polku-i18n.js). */
  function translation() {
    return window.PolkuI18n ? [window.PolkuI18n.translateModule()] : [];
  }

  /* The panel's choices (roles, phases, forms, subprocesses, targets); null when unavailable. */
  function loadCatalogue(url) {
    if (!url) {
      return Promise.resolve(null);
    }
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      });
  }

  function start() {
    var container = $('modeller');
    var source = $('modeller-messages');
    if (source) {
      try {
        messages = JSON.parse(source.textContent);
      } catch (e) {
        messages = {};
      }
    }
    var bpmn = window.PolkuBpmn;
    if (!container || !bpmn || !bpmn.Modeler) {
      showStatus(text('loadFailed'), 'error');
      return;
    }
    var token = document.querySelector('meta[name="csrf-token"]');
    var panelTexts = {};
    var panelSource = $('properties-messages');
    if (panelSource) {
      try {
        panelTexts = JSON.parse(panelSource.textContent);
      } catch (e) {
        panelTexts = {};
      }
    }
    var xmlRequest = fetch(container.getAttribute('data-xml-url'), {
      credentials: 'same-origin',
      headers: { Accept: 'application/xml' }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      return response.text();
    });
    var catalogueRequest = loadCatalogue(container.getAttribute('data-properties-url'));
    catalogueRequest
      .then(function (catalogue) {
        if (!catalogue) {
          showStatus(text('panelFailed'), 'error');
        }
        var panel = $('modeller-properties');
        modeler = new bpmn.Modeler({
          container: container,
          propertiesPanel: panel ? { parent: panel } : undefined,
          additionalModules: translation().concat(panel ? [
            bpmn.PropertiesPanelModule,
            bpmn.PropertiesProviderModule,
            bpmn.PolkuPropertiesModule
          ] : []),
          moddleExtensions: { spiffworkflow: bpmn.spiffworkflowModdle },
          polku: {
            catalogue: catalogue,
            texts: panelTexts,
            laneOrganisations: Object.assign({}, (catalogue && catalogue.lane_organisations) || {}),
            csrfToken: token ? token.getAttribute('content') : ''
          }
        });
        window.polkuModeler = modeler; // for the browser tests and the curious
        return xmlRequest;
      })
      .then(function (xml) {
        return modeler.importXML(xml);
      })
      .then(function () {
        modeler.get('canvas').zoom('fit-viewport', 'auto');
        modeler.on('commandStack.changed', function () {
          dirty = true;
        });
        container.setAttribute('data-modeller-ready', 'true');
        var button = $('modeller-save');
        button.disabled = false;
        button.addEventListener('click', save);
      })
      .catch(function (error) {
        container.setAttribute('data-modeller-ready', 'failed');
        showStatus(text('loadFailed'), 'error');
        if (window.console) {
          window.console.error('Polku: modeller', error);
        }
      });
    window.addEventListener('beforeunload', function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = text('unsaved');
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
