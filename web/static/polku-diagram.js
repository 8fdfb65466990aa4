/* Polku: BPMN diagrams drawn with bpmn-js's navigated viewer (the global BpmnJS).
 *
 * Each <div class="diagram" data-diagram-url=… data-diagram-kind=…> on the page is drawn:
 *   kind "state": the URL answers JSON {xml, current, done}; the elements where the path is now
 *                 get the marker "polku-current", those already passed "polku-done";
 *   kind "xml":   the URL answers BPMN XML; data-diagram-marks names a <script type=
 *                 "application/json"> element holding {"marker-class": [element ids]};
 *   kind "heatmap": the URL answers JSON {xml, cells: [{id, waiting, overdue, share, label}]};
 *                 each step gets a badge with its counts and a marker "heat-none|low|mid|high"
 *                 (a cell with `waited_for`, a wait for Kela or a timer, adds "heat-wait");
 *                 the conformance page's cells are the same, `share` the share deviating
 *                 by the share of its clients that are overdue.
 * Buttons with data-diagram-zoom="in|out|fit" and aria-controls=<diagram id> zoom it.
 * The drawn <svg> gets role="img", the container's data-label as its name and data-describedby
 * as its description.
 */
(function () {
  'use strict';

  var viewers = {};

  function readJson(id) {
    var element = id && document.getElementById(id);
    if (!element) {
      return {};
    }
    try {
      return JSON.parse(element.textContent);
    } catch (e) {
      return {};
    }
  }

  function statusOf(container) {
    return document.getElementById(container.id + '-status');
  }

  function say(container, key) {
    var status = statusOf(container);
    if (status) {
      status.textContent = key ? status.getAttribute('data-' + key) || '' : '';
      status.classList.toggle('diagram-failed', key === 'failed');
    }
  }

  function addMarkers(viewer, marks) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    var marked = {};
    Object.keys(marks).forEach(function (cls) {
      (marks[cls] || []).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, cls);
          marked[id] = true;
        }
      });
    });
    return marked;
  }

  function heatClass(share) {
    if (share >= 0.5) {
      return 'heat-high';
    }
    if (share >= 0.25) {
      return 'heat-mid';
    }
    return share > 0 ? 'heat-low' : 'heat-none';
  }

  function heatMarks(cells) {
    var marks = { 'heat-none': [], 'heat-low': [], 'heat-mid': [], 'heat-high': [] };
    cells.forEach(function (cell) {
      marks[heatClass(cell.share)].push(cell.id);
    });
    return marks;
  }

  // A badge on each step with clients waiting: "12 · 3 late" (the text says it in words).
  function addBadges(viewer, cells) {
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    cells.forEach(function (cell) {
      if (!registry.get(cell.id) || cell.label === '') {
        return; // not on the diagram, or a cell that has its colour only (no badge)
      }
      var badge = document.createElement('span');
      badge.className = 'heat-badge ' + heatClass(cell.share);
      if (cell.waited_for) {
        // a wait for a party outside the team (Kela, a timer...): a badge of its own kind
        badge.className += ' heat-wait';
        badge.setAttribute('data-waited-for', cell.waited_for);
      }
      badge.setAttribute('data-heat-id', cell.id);
      badge.textContent = cell.label;
      overlays.add(cell.id, 'polku-heat', { position: { top: -14, left: -6 }, html: badge });
    });
  }

  var STEP_TYPES = /(Task|Event|SubProcess|CallActivity|Gateway)$/;

  function laneOf(registry, shape) {
    var lanes = registry.filter(function (element) {
      return element.type === 'bpmn:Lane' &&
        shape.x >= element.x && shape.x <= element.x + element.width &&
        shape.y >= element.y && shape.y <= element.y + element.height;
    });
    return lanes.length ? lanes[lanes.length - 1].businessObject.name : null;
  }

  // The diagram's named steps, left to right, as text (what the drawing shows, in words).
  function listSteps(viewer, list) {
    var registry = viewer.get('elementRegistry');
    var steps = registry.filter(function (element) {
      return !element.labelTarget && !element.waypoints && STEP_TYPES.test(element.type) &&
        element.businessObject && element.businessObject.name;
    });
    steps.sort(function (a, b) { return a.x - b.x || a.y - b.y; });
    list.textContent = '';
    steps.forEach(function (step) {
      var item = document.createElement('li');
      var lane = laneOf(registry, step);
      item.textContent = step.businessObject.name + (lane ? ' (' + lane + ')' : '');
      item.setAttribute('data-step-id', step.id);
      list.appendChild(item);
    });
  }

  // The drawing is an image to assistive technology: name it and point to its description.
  // (The <svg> is focusable so the arrow keys move the view; bpmn-js makes it so.)
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

  var READABLE_ZOOM = 0.85;

  // When the whole diagram would be drawn too small to read, show the elements where the path
  // is now at a readable size, in the middle of the view ("Fit to view" shows everything).
  function focusOn(viewer, ids) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var shapes = (ids || []).map(function (id) { return registry.get(id); })
      .filter(function (shape) { return shape && !shape.waypoints; });
    if (!shapes.length || canvas.zoom() >= READABLE_ZOOM) {
      return;
    }
    var left = Math.min.apply(null, shapes.map(function (s) { return s.x; }));
    var top = Math.min.apply(null, shapes.map(function (s) { return s.y; }));
    var right = Math.max.apply(null, shapes.map(function (s) { return s.x + s.width; }));
    var bottom = Math.max.apply(null, shapes.map(function (s) { return s.y + s.height; }));
    var outer = canvas.viewbox().outer;
    var scale = Math.max(canvas.zoom(), Math.min(READABLE_ZOOM,
      outer.width / (right - left + 200), outer.height / (bottom - top + 200)));
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: (left + right) / 2 - width / 2,
      y: (top + bottom) / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function fetchData(url, kind) {
    return fetch(url, {
      credentials: 'same-origin',
      headers: { Accept: kind === 'xml' ? 'application/xml' : 'application/json' }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      return kind === 'xml' ? response.text() : response.json();
    });
  }

  function draw(container) {
    var kind = container.getAttribute('data-diagram-kind') || 'xml';
    say(container, 'loading');
    return fetchData(container.getAttribute('data-diagram-url'), kind)
      .then(function (data) {
        var xml = kind === 'xml' ? data : data.xml;
        var marks;
        if (kind === 'heatmap') {
          marks = heatMarks(data.cells || []);
        } else if (kind === 'state') {
          var current = data.current || [];
          marks = {
            'polku-done': (data.done || []).filter(function (id) {
              return current.indexOf(id) < 0;
            }),
            'polku-current': current
          };
        } else {
          marks = readJson(container.getAttribute('data-diagram-marks'));
        }
        var viewer = new window.BpmnJS({ container: container });
        viewers[container.id] = viewer;
        return viewer.importXML(xml).then(function () {
          viewer.get('canvas').zoom('fit-viewport', 'auto');
          labelDrawing(container);
          addMarkers(viewer, marks);
          if (kind === 'heatmap') {
            addBadges(viewer, data.cells || []);
          }
          if (kind === 'state') {
            focusOn(viewer, marks['polku-current']);
          }
          var list = document.getElementById(container.getAttribute('data-diagram-list') || '');
          if (list) {
            listSteps(viewer, list);
          }
          container.setAttribute('data-diagram-ready', 'true');
          say(container, null);
        });
      })
      .catch(function (error) {
        container.setAttribute('data-diagram-ready', 'failed');
        say(container, 'failed');
        if (window.console) {
          window.console.error('Polku: diagram', container.id, error);
        }
      });
  }

  function zoom(event) {
    var button = event.target.closest('[data-diagram-zoom]');
    if (!button) {
      return;
    }
    var viewer = viewers[button.getAttribute('aria-controls')];
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

  function start() {
    if (!window.BpmnJS) {
      document.querySelectorAll('.diagram[data-diagram-url]').forEach(function (container) {
        say(container, 'failed');
      });
      return;
    }
    document.querySelectorAll('.diagram[data-diagram-url]').forEach(draw);
    document.addEventListener('click', zoom);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
