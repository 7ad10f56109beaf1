import { describe, expect, it } from 'vitest';
import { Tr181ParameterPath, Tr181Path, Tr181SetValue } from '../src/index.js';

describe('TR-181 paths', () => {
  it.each([
    ['Device.DeviceInfo.SoftwareVersion', true],
    ['Device.', true],
    ['Device.WiFi.SSID.1.', true],
    ['Device.WiFi.SSID.12.SSID', true],
    ['Device.X_ACME-COM_Diag.Enable', true],
    ['InternetGatewayDevice.DeviceInfo.', false],
    ['Device', false],
    ['Device..Info', false],
    ['Device.WiFi.SSID.0.SSID', false],
    ['Device.WiFi.SSID.01.SSID', false],
    ['Device.1.', false],
    ['Device.WiFi.SSID.*.SSID', false],
    ['Device.WiFi.SSID.[guest].SSID', false],
    ['Device.Wi Fi.', false],
    [`Device.${'A'.repeat(250)}`, false],
  ])('%s (partial allowed) → %s', (path, ok) => {
    expect(Tr181Path.safeParse(path).success).toBe(ok);
  });

  it.each([
    ['Device.DeviceInfo.SoftwareVersion', true],
    ['Device.WiFi.SSID.1.', false],
    ['Device.WiFi.SSID.1', false],
  ])('%s (full parameter) → %s', (path, ok) => {
    expect(Tr181ParameterPath.safeParse(path).success).toBe(ok);
  });
});

describe('TR-181 set values', () => {
  const path = 'Device.Test.Value';
  it.each([
    ['string', 'x', true],
    ['string', 1, false],
    ['int', -2147483648, true],
    ['int', '2147483647', true],
    ['int', 2147483648, false],
    ['unsignedInt', -1, false],
    ['unsignedInt', 4294967295, true],
    ['long', '-9223372036854775808', true],
    ['long', '9223372036854775808', false],
    ['unsignedLong', '18446744073709551615', true],
    ['unsignedLong', 1.5, false],
    ['boolean', true, true],
    ['boolean', '0', true],
    ['boolean', 'yes', false],
    ['dateTime', '2025-03-01T12:00:00Z', true],
    ['dateTime', '0001-01-01T00:00:00Z', true],
    ['dateTime', 'tomorrow', false],
    ['base64', 'aGVsbG8=', true],
    ['base64', 'a', false],
    ['hexBinary', '00ff', true],
    ['hexBinary', 'f', false],
  ] as const)('%s %j → %s', (type, value, ok) => {
    expect(Tr181SetValue.safeParse({ path, type, value }).success).toBe(ok);
  });
});
