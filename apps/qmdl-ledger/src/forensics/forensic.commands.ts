import type { Command } from 'commander';

/** Registers the forensics commands (inspect, events, state, verify, ...). */
export function registerForensicCommands(_program: Command): void {}
