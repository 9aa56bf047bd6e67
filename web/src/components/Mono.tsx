import type { ReactNode } from 'react';

/** Codici fiscali and protocol numbers in Roboto Mono (AgID: codes in a monospace face). */
export function Mono({ children }: { children: ReactNode }) {
  return <span className="font-monospace code-text">{children}</span>;
}
