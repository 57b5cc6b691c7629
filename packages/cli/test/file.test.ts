import { cliScenarios, scratch } from './scenarios.js';

const directory = scratch().dir;

cliScenarios({ driver: 'file', url: () => `file://${directory}` });
