/* Polku's browser bundle of bpmn.io components, built by esbuild (`make` builds it into
 * web/static/build/polku-bpmn.js; `npm run build` does the same by hand).
 *
 * bpmn-js's Modeler and the properties panel must share one copy of diagram-js, so they are
 * bundled together here rather than served from their prebuilt files. The page scripts
 * (web/static/polku-*.js) find everything under the global `PolkuBpmn`.
 */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import BpmnViewer from 'bpmn-js/lib/NavigatedViewer';
import { BpmnModdle } from 'bpmn-moddle';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import { diff } from 'bpmn-js-differ';
import PolkuPropertiesProvider from './properties/polku-provider';
import spiffworkflowModdle from './properties/spiffworkflow.json';

// Polku's entries in the properties panel (lane roles, phases, forms, conditions, timers...)
const PolkuPropertiesModule = {
  __init__: ['polkuPropertiesProvider'],
  polkuPropertiesProvider: ['type', PolkuPropertiesProvider],
};

window.PolkuBpmn = {
  Modeler: BpmnModeler,
  Viewer: BpmnViewer,
  Moddle: BpmnModdle,
  PropertiesPanelModule: BpmnPropertiesPanelModule,
  PropertiesProviderModule: BpmnPropertiesProviderModule,
  diff: diff,
  PolkuPropertiesModule: PolkuPropertiesModule,
  // moddle extension: <spiffworkflow:properties>, <spiffworkflow:property>,
  // <spiffworkflow:messageVariable> round-trip through the modeller
  spiffworkflowModdle: spiffworkflowModdle,
};
