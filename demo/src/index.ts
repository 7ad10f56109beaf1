export {
  octetsAfter,
  type SimulatedDevice,
  type SimulatedDeviceOptions,
  startSimulatedDevice,
} from './simulated-device.js';
