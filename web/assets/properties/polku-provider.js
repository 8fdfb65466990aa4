/* Polku's properties provider for bpmn-js-properties-panel (the modeller on /designer/<key>/edit).
 *
 * Adds a "Polku" group to lanes (role from processes/roles.json, the organisation doing the lane's
 * tasks), user tasks and call activities (phase tag, form or subprocess, the service-level target
 * in force), sequence flows out of gateways (a condition in Polku's expression language, checked
 * by the server as the designer types, with the field names of the forms upstream), timer events
 * (ISO 8601 duration, cycle or date with a plain reading) and message events (the message name).
 *
 * Values are written as the shipped models write them (docs/bpmn-conventions.md): a lane's role
 * is its name; phase and form are <spiffworkflow:property> in <spiffworkflow:properties>; a
 * condition is the flow's <bpmn:conditionExpression>; a message is a <bpmn:message> with the
 * catch event's <spiffworkflow:messageVariable>. The save then runs the model validator.
 *
 * The page passes `polku: {catalogue, texts, csrfToken}` in the modeller's config: the catalogue
 * is GET /designer/<key>/properties.json (web/ui/designer_properties.py), the texts are the page's
 * translated words.
 */
import htm from 'htm';
import { createElement } from '@bpmn-io/properties-panel/preact';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  Group,
  SelectEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';

const html = htm.bind(createElement);

const SPIFF_PROPERTIES = 'spiffworkflow:Properties';
const FORM_PROPERTY = 'formJsonSchemaFilename';
const PHASE_PROPERTY = 'phase';
const CHECK_DELAY_MS = 250;

function is(element, type) {
  const bo = element && (element.businessObject || element);
  return !!(bo && typeof bo.$instanceOf === 'function' && bo.$instanceOf(type));
}

function bo(element) {
  return element.businessObject;
}

/* ------------------------------------------------------------ spiffworkflow:properties */

function spiffProperties(businessObject) {
  const ext = businessObject.get('extensionElements');
  if (!ext) {
    return null;
  }
  return (ext.get('values') || []).find((v) => v.$instanceOf(SPIFF_PROPERTIES)) || null;
}

export function getSpiffProperty(businessObject, name) {
  const props = spiffProperties(businessObject);
  const found = props && (props.get('properties') || []).find((p) => p.get('name') === name);
  return found ? found.get('value') || '' : '';
}

/* The commands that set (or, with an empty value, remove) one Spiff property of an element, run
 * as one step of the command stack (one undo). */
export function setSpiffProperty(injector, element, name, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const businessObject = bo(element);
  const commands = [];
  let ext = businessObject.get('extensionElements');
  if (!ext) {
    if (!value) {
      return;
    }
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = businessObject;
    commands.push(update(element, businessObject, { extensionElements: ext }));
  }
  let props = (ext.get('values') || []).find((v) => v.$instanceOf(SPIFF_PROPERTIES));
  if (!props) {
    if (!value) {
      return;
    }
    props = bpmnFactory.create(SPIFF_PROPERTIES, { properties: [] });
    props.$parent = ext;
    commands.push(update(element, ext, { values: [...(ext.get('values') || []), props] }));
  }
  const list = props.get('properties') || [];
  const found = list.find((p) => p.get('name') === name);
  if (!value) {
    if (found) {
      commands.push(update(element, props, { properties: list.filter((p) => p !== found) }));
    }
  } else if (found) {
    commands.push(update(element, found, { value: value }));
  } else {
    const property = bpmnFactory.create('spiffworkflow:Property', { name: name, value: value });
    property.$parent = props;
    commands.push(update(element, props, { properties: [...list, property] }));
  }
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}

function update(element, moddleElement, properties) {
  return {
    cmd: 'element.updateModdleProperties',
    context: { element: element, moddleElement: moddleElement, properties: properties },
  };
}

/* ------------------------------------------------------------ the server's checks */

function postJson(url, body, token) {
  return fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-CSRFToken': token || '',
    },
    body: JSON.stringify(body),
  }).then((response) => {
    if (!response.ok) {
      throw new Error('HTTP ' + response.status);
    }
    return response.json();
  });
}

/* Ask `url` about `body` a moment after the text stops changing; the latest answer wins. */
function useServerCheck(config, url, body, key) {
  const [answer, setAnswer] = useState(null);
  useEffect(() => {
    if (!url) {
      return undefined;
    }
    let current = true;
    const timer = setTimeout(() => {
      postJson(url, body, config.csrfToken)
        .then((result) => current && setAnswer({ key: key, result: result }))
        .catch(() => current && setAnswer({ key: key, result: { failed: true } }));
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [url, key]);
  return answer && answer.key === key ? answer.result : null;
}

function CheckMessage(props) {
  const { result, texts, kind } = props;
  let text = texts.checking;
  let state = 'pending';
  if (result && result.failed) {
    text = texts.checkFailed;
    state = 'failed';
  } else if (result) {
    text = result.message;
    state = !result.ok ? 'error' : result.unknown && result.unknown.length ? 'warning' : 'ok';
  }
  return html`<span class="polku-check is-${state}" data-polku-check=${kind}
    data-check-state=${state} role="status" aria-live="polite">${text}</span>`;
}

/* ------------------------------------------------------------ upstream form fields */

function elementForms(catalogue, element) {
  const found = [];
  const form = getSpiffProperty(element, FORM_PROPERTY);
  if (form) {
    found.push(form);
  }
  return found;
}

/* The field names the tasks before a flow have filled in: the forms of user tasks (and awaited
 * decisions) on any path back from the flow, the message variables of catch events, and the
 * fields of the subprocesses called on the way. */
export function upstreamFields(catalogue, flow) {
  const forms = {};
  (catalogue.forms || []).forEach((f) => {
    forms[f.path] = f.fields || [];
  });
  const subprocesses = {};
  (catalogue.subprocesses || []).forEach((s) => {
    subprocesses[s.id] = s.fields || [];
  });
  const names = new Set();
  const seen = new Set();
  const queue = [flow.sourceRef];
  while (queue.length) {
    const node = queue.shift();
    if (!node || seen.has(node.id)) {
      continue;
    }
    seen.add(node.id);
    elementForms(catalogue, node).forEach((path) => (forms[path] || []).forEach((n) => names.add(n)));
    if (is(node, 'bpmn:CallActivity') && node.calledElement) {
      (subprocesses[node.calledElement] || []).forEach((n) => names.add(n));
    }
    (node.eventDefinitions || []).forEach((definition) => {
      const ext = definition.get && definition.get('extensionElements');
      (ext ? ext.get('values') || [] : []).forEach((v) => {
        if (v.$instanceOf('spiffworkflow:MessageVariable') && v.value) {
          names.add(v.value.trim());
        }
      });
    });
    (node.incoming || []).forEach((incoming) => queue.push(incoming.sourceRef));
  }
  return Array.from(names).sort();
}

/* ------------------------------------------------------------ lanes */

function roleOf(catalogue, laneName) {
  const name = (laneName || '').trim();
  return (catalogue.roles || []).find((r) => r.code === name || (r.names || []).includes(name));
}

function LaneRole(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const modeling = useService('modeling');
  const texts = config.texts;
  const getValue = () => {
    const role = roleOf(config.catalogue, bo(element).name);
    if (role) {
      return role.code;
    }
    return bo(element).name ? '__unknown' : '';
  };
  const getOptions = () => {
    const options = [{ value: '', label: texts.chooseRole }];
    if (getValue() === '__unknown') {
      options.push({ value: '__unknown', label: bo(element).name + ' – ' + texts.unknownRole });
    }
    (config.catalogue.roles || []).forEach((r) => options.push({ value: r.code, label: r.name }));
    return options;
  };
  const setValue = (code) => {
    const role = (config.catalogue.roles || []).find((r) => r.code === code);
    if (role) {
      modeling.updateProperties(element, { name: role.lane_name });
    }
  };
  return html`<${SelectEntry} element=${element} id=${id} label=${texts.role}
    description=${texts.roleHelp} getValue=${getValue} setValue=${setValue}
    getOptions=${getOptions} />`;
}

/* The organisation doing the lane's tasks is not in the BPMN: it is the model.json's
 * lane_organisations (role -> organisation code), kept in `config.polku.laneOrganisations` and
 * sent with the save. Choosing one is a command, so that undo and the unsaved-changes warning
 * know it. */
export const SET_LANE_ORGANISATION = 'polku.lane-organisation.set';

export function LaneOrganisationHandler(config) {
  this._config = config;
}

LaneOrganisationHandler.prototype.execute = function (context) {
  const map = this._config.laneOrganisations || (this._config.laneOrganisations = {});
  context.previous = map[context.role] || '';
  if (context.code) {
    map[context.role] = context.code;
  } else {
    delete map[context.role];
  }
  this._config.laneOrganisationsChanged = true;
  return [context.element];
};

LaneOrganisationHandler.prototype.revert = function (context) {
  const map = this._config.laneOrganisations;
  if (context.previous) {
    map[context.role] = context.previous;
  } else {
    delete map[context.role];
  }
  return [context.element];
};

LaneOrganisationHandler.$inject = ['config.polku'];

function organisationOption(o) {
  return { value: o.code, label: o.name };
}

function LaneOrganisation(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const commandStack = useService('commandStack');
  const texts = config.texts;
  const role = roleOf(config.catalogue, bo(element).name);
  if (!role) {
    return html`<div class="bio-properties-panel-entry polku-readonly" data-entry-id=${id}>
      <p class="bio-properties-panel-label">${texts.organisation}</p>
      <p class="polku-readonly-value" data-polku-value="organisation">${texts.organisationNoRole}</p>
    </div>`;
  }
  const lanes = config.laneOrganisations || {};
  const getValue = () => lanes[role.code] || '';
  const getOptions = () => {
    const organisations = config.catalogue.organisations || [];
    const fallback = role.default_organisation_name || texts.organisationByPath;
    const options = [{ value: '', label: texts.organisationDefault.replace('%(name)s', fallback) }];
    const near = organisations.filter((o) => o.in_region);
    const far = organisations.filter((o) => !o.in_region);
    if (near.length) {
      options.push({ label: texts.organisationsOfRegion, children: near.map(organisationOption) });
    }
    if (far.length) {
      options.push({ label: texts.otherOrganisations, children: far.map(organisationOption) });
    }
    const value = getValue();
    if (value && !organisations.some((o) => o.code === value)) {
      options.push({ value: value, label: value + ' – ' + texts.unknownOrganisation });
    }
    return options;
  };
  const setValue = (code) =>
    commandStack.execute(SET_LANE_ORGANISATION, { element: element, role: role.code, code: code });
  const note = getValue() ? texts.organisationNamed : role.default_organisation_note || '';
  return html`<${SelectEntry} element=${element} id=${id} label=${texts.organisation}
    description=${note + ' ' + texts.organisationHelp} getValue=${getValue} setValue=${setValue}
    getOptions=${getOptions} />`;
}

/* ------------------------------------------------------------ user tasks, call activities */

function SpiffSelect(props) {
  const { element, id, label, description, property, options } = props;
  const injector = useService('injector');
  const getValue = () => getSpiffProperty(bo(element), property);
  const getOptions = () => {
    const value = getValue();
    const list = options.slice();
    if (value && !list.some((o) => o.value === value)) {
      list.push({ value: value, label: value + ' – ' + props.unknownLabel });
    }
    return list;
  };
  const setValue = (value) => setSpiffProperty(injector, element, property, value);
  return html`<${SelectEntry} element=${element} id=${id} label=${label}
    description=${description} getValue=${getValue} setValue=${setValue}
    getOptions=${getOptions} />`;
}

function Phase(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const options = [{ value: '', label: texts.noPhase }].concat(
    (config.catalogue.phases || []).map((p) => ({ value: p.code, label: p.name + ' (' + p.code + ')' })),
  );
  return html`<${SpiffSelect} element=${element} id=${id} label=${texts.phase}
    description=${texts.phaseHelp} property=${PHASE_PROPERTY} options=${options}
    unknownLabel=${texts.unknownPhase} />`;
}

function Form(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const options = [{ value: '', label: texts.noForm }].concat(
    (config.catalogue.forms || []).map((f) => ({ value: f.path, label: f.title + ' (' + f.path + ')' })),
  );
  return html`<${SpiffSelect} element=${element} id=${id} label=${texts.form}
    description=${texts.formHelp} property=${FORM_PROPERTY} options=${options}
    unknownLabel=${texts.missingForm} />`;
}

/* The target in force: the step's own (this model's, then every model's), then its phase's. */
export function targetInForce(catalogue, stepId, phase) {
  const targets = catalogue.targets || [];
  const key = catalogue.key;
  const order = [
    (t) => t.bpmn_id === stepId && t.model_key === key,
    (t) => t.bpmn_id === stepId && !t.model_key,
    (t) => phase && t.phase === phase && t.model_key === key,
    (t) => phase && t.phase === phase && !t.model_key,
  ];
  for (let i = 0; i < order.length; i += 1) {
    const found = targets.find(order[i]);
    if (found) {
      return { target: found, basis: i < 2 ? 'step' : 'phase' };
    }
  }
  return null;
}

function ownTarget(catalogue, stepId) {
  return (catalogue.targets || []).find((t) => t.bpmn_id === stepId && t.model_key === catalogue.key);
}

/* The target in force, read-only; an administrator may set the step's own target in this model
 * here (POST target_url: the targets page's service, saved at once, not with the diagram). */
function ServiceLevel(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const catalogue = config.catalogue;
  const debounce = useService('debounceInput');
  const [status, setStatus] = useState(null);
  const stepId = bo(element).id;
  const phase = getSpiffProperty(bo(element), PHASE_PROPERTY);
  const found = targetInForce(catalogue, stepId, phase);
  const value = found
    ? texts.workingDays.replace('%(days)s', String(found.target.working_days)) + ' ' +
      (found.basis === 'step' ? texts.targetOfStep : texts.targetOfPhase)
    : texts.noTarget;
  const link = catalogue.targets_url
    ? html` <a href=${catalogue.targets_url}>${texts.targetsPage}</a>`
    : '';
  const shown = html`<div class="bio-properties-panel-entry polku-readonly" data-entry-id=${id}>
    <p class="bio-properties-panel-label">${texts.serviceLevel}</p>
    <p class="polku-readonly-value" data-polku-value="service-level">${value}</p>
    <div class="bio-properties-panel-description" data-polku-target-note="">${
      catalogue.may_set_targets ? texts.serviceLevelAdminHelp : texts.serviceLevelByAdmin
    }${link}</div>
  </div>`;
  if (!catalogue.may_set_targets || !catalogue.target_url) {
    return shown;
  }
  const own = ownTarget(catalogue, stepId);
  const getValue = () => (own ? String(own.working_days) : '');
  const validate = (text) => {
    const trimmed = (text || '').trim();
    return trimmed && !(/^\d+$/.test(trimmed) && Number(trimmed) <= 365) ? texts.targetInvalid : null;
  };
  const setValue = (text) => {
    const trimmed = (text || '').trim();
    if (validate(trimmed) || trimmed === getValue()) {
      return;
    }
    setStatus({ state: 'pending', text: texts.checking });
    fetch(catalogue.target_url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'X-CSRFToken': config.csrfToken || '',
      },
      body: JSON.stringify({ bpmn_id: stepId, working_days: trimmed ? Number(trimmed) : null }),
    })
      .then((response) => response.json().then((answer) => ({ ok: response.ok, answer: answer })))
      .then(({ ok, answer }) => {
        if (!ok) {
          setStatus({ state: 'error', text: answer.error || texts.targetFailed });
          return;
        }
        catalogue.targets = answer.targets || [];
        setStatus({ state: 'ok', text: answer.message });
      })
      .catch(() => setStatus({ state: 'failed', text: texts.targetFailed }));
  };
  const description = status
    ? html`<span class="polku-check is-${status.state}" data-polku-check="target"
        data-check-state=${status.state} role="status" aria-live="polite">${status.text}</span>`
    : texts.ownTargetHelp;
  return html`${shown}<${TextFieldEntry} element=${element} id=${id + '-own'}
    label=${texts.ownTarget} description=${description} getValue=${getValue}
    setValue=${setValue} validate=${validate} debounce=${debounce} />`;
}

function Subprocess(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const modeling = useService('modeling');
  const texts = config.texts;
  const getValue = () => bo(element).calledElement || '';
  const getOptions = () => {
    const options = [{ value: '', label: texts.chooseSubprocess }];
    const value = getValue();
    (config.catalogue.subprocesses || []).forEach((s) =>
      options.push({ value: s.id, label: s.name + ' (' + s.id + ')' }),
    );
    if (value && !options.some((o) => o.value === value)) {
      options.push({ value: value, label: value + ' – ' + texts.unknownSubprocess });
    }
    return options;
  };
  const setValue = (value) => modeling.updateProperties(element, { calledElement: value || undefined });
  return html`<${SelectEntry} element=${element} id=${id} label=${texts.subprocess}
    description=${texts.subprocessHelp} getValue=${getValue} setValue=${setValue}
    getOptions=${getOptions} />`;
}

/* ------------------------------------------------------------ conditions */

function Condition(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const flow = bo(element);
  const getValue = () => (flow.conditionExpression ? flow.conditionExpression.body || '' : '');
  const setValue = (value) => {
    const text = (value || '').trim();
    if (!text) {
      modeling.updateProperties(element, { conditionExpression: undefined });
      return;
    }
    const expression = bpmnFactory.create('bpmn:FormalExpression', { body: text });
    modeling.updateProperties(element, { conditionExpression: expression });
  };
  const value = getValue();
  const fields = upstreamFields(config.catalogue, flow);
  const result = useServerCheck(
    config,
    value ? config.catalogue.condition_url : null,
    { expression: value, fields: fields },
    value + '\u0000' + fields.join(','),
  );
  const description = html`<span>
    ${value ? html`<${CheckMessage} result=${result} texts=${texts} kind="condition" />` : texts.conditionHelp}
    <span class="polku-fields" data-polku-fields="">${fields.length
      ? texts.upstreamFields + ' ' + fields.join(', ')
      : texts.noUpstreamFields}</span>
  </span>`;
  return html`<${TextFieldEntry} element=${element} id=${id} label=${texts.condition}
    description=${description} getValue=${getValue} setValue=${setValue} debounce=${debounce} />`;
}

/* ------------------------------------------------------------ timers */

const TIMER_PROPERTIES = { duration: 'timeDuration', cycle: 'timeCycle', date: 'timeDate' };

function timerDefinition(element) {
  return (bo(element).eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerKind(definition) {
  const kinds = Object.keys(TIMER_PROPERTIES);
  return kinds.find((k) => definition.get(TIMER_PROPERTIES[k])) || 'duration';
}

function timerText(definition) {
  const expression = definition.get(TIMER_PROPERTIES[timerKind(definition)]);
  return expression ? expression.body || '' : '';
}

function setTimer(injector, element, definition, kind, text) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const properties = {};
  Object.keys(TIMER_PROPERTIES).forEach((k) => {
    properties[TIMER_PROPERTIES[k]] = undefined;
  });
  const expression = bpmnFactory.create('bpmn:FormalExpression', { body: text || '' });
  expression.$parent = definition;
  properties[TIMER_PROPERTIES[kind]] = expression;
  commandStack.execute('element.updateModdleProperties', {
    element: element,
    moddleElement: definition,
    properties: properties,
  });
}

function TimerKind(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const injector = useService('injector');
  const definition = timerDefinition(element);
  const getValue = () => timerKind(definition);
  const getOptions = () => [
    { value: 'duration', label: texts.timerDuration },
    { value: 'cycle', label: texts.timerCycle },
    { value: 'date', label: texts.timerDate },
  ];
  const setValue = (kind) => setTimer(injector, element, definition, kind, timerText(definition));
  return html`<${SelectEntry} element=${element} id=${id} label=${texts.timerKind}
    getValue=${getValue} setValue=${setValue} getOptions=${getOptions} />`;
}

function TimerValue(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const definition = timerDefinition(element);
  const getValue = () => timerText(definition);
  const setValue = (value) =>
    setTimer(injector, element, definition, timerKind(definition), (value || '').trim());
  const value = getValue();
  const kind = timerKind(definition);
  const result = useServerCheck(
    config,
    config.catalogue.timer_url,
    { kind: kind, expression: value },
    kind + '\u0000' + value,
  );
  const description = html`<span>
    <${CheckMessage} result=${result} texts=${texts} kind="timer" />
    <span class="polku-fields">${texts.timerHelp}</span>
  </span>`;
  return html`<${TextFieldEntry} element=${element} id=${id} label=${texts.timerValue}
    description=${description} getValue=${getValue} setValue=${setValue} debounce=${debounce} />`;
}

/* ------------------------------------------------------------ messages */

function messageDefinition(element) {
  return (bo(element).eventDefinitions || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

function definitionsOf(businessObject) {
  let node = businessObject;
  while (node && !is(node, 'bpmn:Definitions')) {
    node = node.$parent;
  }
  return node;
}

function messageId(name) {
  return 'Message_' + name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function setMessageName(injector, element, definition, name) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const definitions = definitionsOf(bo(element));
  const rootElements = definitions.get('rootElements') || [];
  const commands = [];
  if (!name) {
    commands.push(update(element, definition, { messageRef: undefined }));
  } else {
    let message = rootElements.find((r) => is(r, 'bpmn:Message') && r.name === name);
    if (!message) {
      message = bpmnFactory.create('bpmn:Message', { id: messageId(name), name: name });
      message.$parent = definitions;
      commands.push(update(element, definitions, { rootElements: [message, ...rootElements] }));
    }
    commands.push(update(element, definition, { messageRef: message }));
  }
  if (is(element, 'bpmn:CatchEvent')) {
    // the payload lands in the variable named by <spiffworkflow:messageVariable>
    let ext = definition.get('extensionElements');
    if (!ext && name) {
      ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
      ext.$parent = definition;
      commands.push(update(element, definition, { extensionElements: ext }));
    }
    if (ext) {
      const values = ext.get('values') || [];
      const variable = values.find((v) => v.$instanceOf('spiffworkflow:MessageVariable'));
      if (!name && variable) {
        commands.push(update(element, ext, { values: values.filter((v) => v !== variable) }));
      } else if (variable) {
        commands.push(update(element, variable, { value: name }));
      } else if (name) {
        const created = bpmnFactory.create('spiffworkflow:MessageVariable', { value: name });
        created.$parent = ext;
        commands.push(update(element, ext, { values: [...values, created] }));
      }
    }
  }
  commandStack.execute('properties-panel.multi-command-executor', commands);
}

function MessageName(props) {
  const { element, id } = props;
  const config = useService('config.polku');
  const texts = config.texts;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const definition = messageDefinition(element);
  const getValue = () => (definition.messageRef ? definition.messageRef.name || '' : '');
  const setValue = (value) => setMessageName(injector, element, definition, (value || '').trim());
  const validate = (value) =>
    value && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.trim()) ? texts.messageNameInvalid : null;
  return html`<${TextFieldEntry} element=${element} id=${id} label=${texts.messageName}
    description=${texts.messageHelp} getValue=${getValue} setValue=${setValue}
    debounce=${debounce} validate=${validate} />`;
}

/* ------------------------------------------------------------ the provider */

function entry(id, component, config, isEdited) {
  // the components read the config themselves (useService('config.polku')): a component made
  // here afresh at each update would lose its state (the latest check's answer)
  return { id: id, component: component, isEdited: isEdited };
}

function polkuEntries(element, config) {
  const entries = [];
  const businessObject = bo(element);
  if (is(element, 'bpmn:Lane')) {
    entries.push(entry('polku-role', LaneRole, config, isSelectEntryEdited));
    entries.push(entry('polku-organisation', LaneOrganisation, config, isSelectEntryEdited));
  }
  if (is(element, 'bpmn:UserTask')) {
    entries.push(entry('polku-phase', Phase, config, isSelectEntryEdited));
    entries.push(entry('polku-form', Form, config, isSelectEntryEdited));
    entries.push(entry('polku-service-level', ServiceLevel, config));
  }
  if (is(element, 'bpmn:CallActivity')) {
    entries.push(entry('polku-subprocess', Subprocess, config, isSelectEntryEdited));
    entries.push(entry('polku-phase', Phase, config, isSelectEntryEdited));
  }
  if (
    is(element, 'bpmn:SequenceFlow') &&
    businessObject.sourceRef &&
    (is(businessObject.sourceRef, 'bpmn:ExclusiveGateway') ||
      is(businessObject.sourceRef, 'bpmn:InclusiveGateway'))
  ) {
    entries.push(entry('polku-condition', Condition, config, isTextFieldEntryEdited));
  }
  if (is(element, 'bpmn:Event') && timerDefinition(element)) {
    entries.push(entry('polku-timer-kind', TimerKind, config, isSelectEntryEdited));
    entries.push(entry('polku-timer-value', TimerValue, config, isTextFieldEntryEdited));
  }
  if (is(element, 'bpmn:Event') && messageDefinition(element)) {
    entries.push(entry('polku-message', MessageName, config, isTextFieldEntryEdited));
  }
  return entries;
}

export default function PolkuPropertiesProvider(propertiesPanel, config, commandStack) {
  const polku = config || {};
  commandStack.registerHandler(SET_LANE_ORGANISATION, LaneOrganisationHandler);
  this.getGroups = function (element) {
    return function (groups) {
      if (!polku.catalogue) {
        return groups;
      }
      const entries = polkuEntries(element, polku);
      if (!entries.length) {
        return groups;
      }
      // Polku's own timer and message entries stand in for the generic ones
      const kept = groups.filter((g) => g.id !== 'timer' && g.id !== 'message');
      const group = {
        id: 'polku',
        label: polku.texts.groupLabel,
        component: Group,
        entries: entries,
        shouldOpen: true, // open at once: these are the properties Polku's validator asks for
      };
      const general = kept.findIndex((g) => g.id === 'general');
      kept.splice(general + 1, 0, group);
      return kept;
    };
  };
  propertiesPanel.registerProvider(500, this);
}

PolkuPropertiesProvider.$inject = ['propertiesPanel', 'config.polku', 'commandStack'];
