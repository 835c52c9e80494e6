// The CLI's subcommands: one line per command (name, summary for the usage text, and the module to load). Each
// command lives in its own file under src/cli/ and is imported only when run, so `imds-lab persona` or `serve`
// does not load `check`, the views or the lab set-up (start-up time counts under emulation and in every lab).
import type { CommandEntry } from './cli-command.ts';

export const commands: readonly CommandEntry[] = [
  { name: 'profile', summary: 'write, validate or show a VM profile (init | check | show)', load: async () => (await import('./profile-command.ts')).profileCommand },
  { name: 'serve', summary: 'serve the IMDS API on a socket (--capture socket) or a TUN in a namespace (--capture tun)', load: async () => (await import('./serve-command.ts')).serveCommand },
  { name: 'ctl', summary: "change a running daemon through its control socket (faults, timelines, clock, events, profile, log)", load: async () => (await import('./ctl-command.ts')).ctlCommand },
  { name: 'up', summary: 'create a lab: VM and host namespaces, routes as on Azure, the IMDS responder', load: async () => (await import('./up-command.ts')).upCommand },
  { name: 'down', summary: 'remove a lab (namespaces, processes, state), also after a crash', load: async () => (await import('./down-command.ts')).downCommand },
  { name: 'status', summary: "show a lab's scenario, addresses and processes", load: async () => (await import('./status-command.ts')).statusCommand },
  { name: 'exec', summary: "run a command in a lab's VM namespace", load: async () => (await import('./exec-command.ts')).execCommand },
  { name: 'run', summary: 'bring a lab up, run a command in the VM, tear down, return its exit code', load: async () => (await import('./run-command.ts')).runCommand },
  { name: 'doctor', summary: 'diagnose IMDS access from inside the VM namespace (and its container), with the fix', load: async () => (await import('./doctor-command.ts')).doctorCommand },
  { name: 'scenario', summary: 'list the failure scenarios, or show one with its fix', load: async () => (await import('./scenario-command.ts')).scenarioCommand },
  { name: 'trace', summary: 'explain a pcap of IMDS traffic per request (interface, handshake, status, rule)', load: async () => (await import('./trace-command.ts')).traceCommand },
  { name: 'demo', summary: 'guided tour: lab up, requests from the VM, a broken scenario, doctor, fix, down', load: async () => (await import('./demo-command.ts')).demoCommand },
  { name: 'ca', summary: 'print the emulator root CA certificate (for openssl verify -CAfile)', load: async () => (await import('./ca-command.ts')).caCommand },
  { name: 'persona', summary: "run a lab persona (something answering that is not IMDS: foreign responders, refusing proxies, the lab's CA Issuers server)", load: async () => (await import('./persona-command.ts')).personaCommand },
  { name: 'check', summary: 'grade an unmodified app against IMDS failure cases (rules × cases)', load: async () => (await import('./check-command.ts')).checkCommand },
];
