import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useAsync } from '../../useAsync';
import { preferredSede, savePreferredSede } from './device';
import { Shell } from './Shell';

type Region = components['schemas']['RegionItem'];
type Province = components['schemas']['ProvinceItem'];
type Municipality = components['schemas']['MunicipalityItem'];
type Sede = components['schemas']['CitizenSedeItem'];

function Select({ label, value, onChange, disabled, children }: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  disabled?: boolean;
  children: React.ReactNode;
}) {
  const id = `ricerca-${label.toLowerCase()}`;
  return (
    <div className="select-wrapper mb-4">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        <option value="">Seleziona…</option>
        {children}
      </select>
    </div>
  );
}

/** "Ricerca sede": Regione → Provincia → Comune → Sede, then "Accedi alla sede". */
export function RicercaSede() {
  const navigate = useNavigate();
  const [region, setRegion] = useState('');
  const [province, setProvince] = useState('');
  const [town, setTown] = useState('');
  const [sede, setSede] = useState('');
  const [saved, setSaved] = useState(false);
  const preferred = preferredSede();

  const regions = useAsync<Region[]>(() => unwrap(api.GET('/api/v1/places/regions')), 'regions');
  const provinces = useAsync<Province[]>(
    () => (region ? unwrap(api.GET('/api/v1/places/regions/{region}/provinces', { params: { path: { region } } })) : Promise.resolve([])),
    region,
  );
  const towns = useAsync<Municipality[]>(
    () => (province ? unwrap(api.GET('/api/v1/places/provinces/{province}/municipalities', { params: { path: { province } } })) : Promise.resolve([])),
    province,
  );
  const sedi = useAsync<Sede[]>(
    () =>
      province && town
        ? unwrap(api.GET('/api/v1/places/provinces/{province}/sedi', { params: { path: { province }, query: { municipality: town } } }))
        : Promise.resolve([]),
    `${province}/${town}`,
  );
  const chosen = sedi.data?.find((s) => s.code === sede);
  const error = regions.error ?? provinces.error ?? towns.error ?? sedi.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (chosen) navigate(`/prenota/sede/${chosen.code}`);
  }

  return (
    <Shell>
      <PageHeading title="Ricerca sede">Ricerca sede</PageHeading>
      <p>Seleziona la sede INPS in cui prenotare l’appuntamento.</p>
      {preferred && (
        <p>
          <button type="button" className="btn btn-outline-primary btn-lg w-100" onClick={() => navigate(`/prenota/sede/${preferred.code}`)}>
            Sede preferita: {preferred.name}
          </button>
        </p>
      )}
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Select label="Regione" value={region} onChange={(v) => { setRegion(v); setProvince(''); setTown(''); setSede(''); }}>
          {regions.data?.map((r) => <option key={r.code} value={r.code}>{r.name}</option>)}
        </Select>
        <Select label="Provincia" value={province} disabled={!region} onChange={(v) => { setProvince(v); setTown(''); setSede(''); }}>
          {provinces.data?.map((p) => <option key={p.sigla} value={p.sigla}>{p.name}</option>)}
        </Select>
        <Select label="Comune" value={town} disabled={!province} onChange={(v) => { setTown(v); setSede(''); }}>
          {towns.data?.map((m) => <option key={m.istat_code} value={m.istat_code}>{m.name}</option>)}
        </Select>
        <Select label="Sede" value={sede} disabled={!town} onChange={(v) => { setSede(v); setSaved(false); }}>
          {sedi.data?.map((s) => (
            <option key={s.code} value={s.code}>
              {s.name.toUpperCase()}{s.address ? ` - ${s.address}` : ''}
            </option>
          ))}
        </Select>
        {chosen && (
          <div className="mb-3" aria-live="polite">
            <p className="mb-1 fw-semibold">{chosen.name}</p>
            <p className="mb-0">{chosen.address}</p>
            {!chosen.in_municipality && <p className="small">Nel comune scelto non c’è una sede: questa è una sede della provincia.</p>}
          </div>
        )}
        <div className="d-grid gap-2 cittadino-actions">
          <button
            type="button"
            className="btn btn-outline-primary btn-lg"
            disabled={!chosen}
            onClick={() => {
              if (!chosen) return;
              savePreferredSede({ code: chosen.code, name: chosen.name });
              setSaved(true);
            }}
          >
            Salva come sede preferita
          </button>
          <button type="submit" className="btn btn-primary btn-lg" disabled={!chosen}>
            Accedi alla sede
          </button>
        </div>
        <p role="status" className="small mt-2">{saved ? 'Sede salvata come preferita.' : ''}</p>
      </form>
    </Shell>
  );
}
