import { Badge } from 'design-react-kit';
// The API's row has `status` (documented values) but not yet its label: see web-needs.md item 1.
const LABELS: Record<string, string> = {
  inoltrata: 'Inoltrata',
  presa_in_carico: 'Presa in carico',
  risposta_ricevuta: 'Risposta ricevuta',
  in_attesa_di_risposta: 'In attesa di risposta',
  sollecitata: 'Sollecitata',
  inoltrata_ad_altra_sede: 'Inoltrata ad altra sede',
  chiusa: 'Chiusa',
  appuntamento_prenotato: 'Appuntamento prenotato',
};

const COLORS: Record<string, string> = {
  risposta_ricevuta: 'success',
  sollecitata: 'warning',
  chiusa: 'secondary',
  appuntamento_prenotato: 'primary',
};

export const STATUSES = Object.entries(LABELS).map(([value, label]) => ({ value, label }));

export function statusLabel(status: string, label?: string | null): string {
  return label ?? LABELS[status] ?? status;
}

export function StatusBadge({ status, label }: { status: string; label?: string | null }) {
  const color = COLORS[status] ?? 'dark';
  return <Badge color={color} className="status-badge">{statusLabel(status, label)}</Badge>;
}
