// How requests reach the responder: `tun` (a TUN device and the userspace TCP stack) or `socket`
// (node:net, kernel TCP). The one definition, used by the daemon, the lab and the control plane.
export const CAPTURE_MODES = ['tun', 'socket'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];
