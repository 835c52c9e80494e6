// Every lab scenario end to end with TUN capture (the default): symptom, doctor, fix.
import { scenarioSuite } from './helpers/lab-scenario-suite.ts';

scenarioSuite('tun');
