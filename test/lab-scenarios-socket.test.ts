// Every lab scenario end to end with socket capture (node:net in the host namespace): symptom, doctor, fix.
import { scenarioSuite } from './helpers/lab-scenario-suite.ts';

scenarioSuite('socket');
