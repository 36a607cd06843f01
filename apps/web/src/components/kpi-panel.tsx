import type { TaskKpiWindow } from '@paidflow/contracts';
import { KPI_TARGETS } from '@paidflow/contracts/constants';
import { errorMessage } from '../api/errors.ts';
import { useTaskKpis } from '../hooks/use-dashboard.ts';
import { formatEta } from '../lib/format.ts';
import { ErrorBox } from './feedback.tsx';

function share(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function duration(ms: number | null): string {
  return ms === null ? '—' : formatEta(ms / 1000);
}

/** A rate beside its target: "on target" or "off target", in words (not colour only). */
function Verdict({ ok }: { ok: boolean | null }) {
  if (ok === null) return <span className="muted">no data</span>;
  return <span className={ok ? 'kpi-ok' : 'kpi-off'}>{ok ? 'on target' : 'off target'}</span>;
}

function Row({ label, window }: { label: string; window: TaskKpiWindow }) {
  const failureOk = window.failureRate === null ? null : window.failureRate < KPI_TARGETS.maxFailureRate;
  const retryOk =
    window.retrySuccessRate === null ? null : window.retrySuccessRate > KPI_TARGETS.minRetrySuccessRate;
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num">{window.ended}</td>
      <td className="num">{share(window.successRate)}</td>
      <td className="num">
        {share(window.failureRate)} <Verdict ok={failureOk} />
      </td>
      <td className="num">
        {share(window.retrySuccessRate)} <span className="muted">of {window.retried}</span>{' '}
        <Verdict ok={retryOk} />
      </td>
      <td className="num">{duration(window.durationP50Ms)}</td>
      <td className="num">{duration(window.durationP95Ms)}</td>
    </tr>
  );
}

/** The design's KPIs (the job-status report) for the last hour and day, against its targets. */
export function KpiPanel() {
  const kpis = useTaskKpis();
  return (
    <section className="section" aria-labelledby="kpi-heading">
      <div className="section__head">
        <h2 id="kpi-heading">Task outcomes</h2>
        <span className="muted">
          Targets: failed under {KPI_TARGETS.maxFailureRate * 100}%, retry success over{' '}
          {KPI_TARGETS.minRetrySuccessRate * 100}%
        </span>
      </div>
      {kpis.error ? <ErrorBox title="Outcomes unavailable">{errorMessage(kpis.error)}</ErrorBox> : null}
      <div className="table-wrap">
        <table className="data">
          <caption className="visually-hidden">Task outcomes for the last hour and day</caption>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col">Ended</th>
              <th scope="col">Success</th>
              <th scope="col">Failed</th>
              <th scope="col">Retries that succeeded</th>
              <th scope="col">Duration p50</th>
              <th scope="col">Duration p95</th>
            </tr>
          </thead>
          <tbody>
            {kpis.data ? (
              <>
                <Row label="Last hour" window={kpis.data.lastHour} />
                <Row label="Last day" window={kpis.data.lastDay} />
              </>
            ) : (
              <tr>
                <td colSpan={7} className="muted">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
