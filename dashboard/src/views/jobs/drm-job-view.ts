import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import {
  isTerminalStatus,
  type Job,
  type LiveAgentState,
  type LiveJobState,
  type ProgressEvent,
} from '@drm/protocol';
import { listAgents } from '../../api/agents.js';
import { errorMessage } from '../../api/errors.js';
import { cancelJob, getJob, listResults } from '../../api/jobs.js';
import { subscribeAgents, subscribeJob } from '../../api/live.js';
import { mergeJobState, withLiveAgents } from '../../api/live-state.js';
import { AppContextConsumer } from '../../context.js';
import { LiveController } from '../../controllers/live-controller.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { formatDateTime } from '../../lib/format.js';
import { jobSummary, kindLabel } from '../../lib/job-summary.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-progress.js';
import '../../components/drm-status-badge.js';
import './drm-job-results.js';
import './drm-job-targets.js';

const TONES: Record<string, 'ok' | 'bad' | 'warn' | 'idle'> = {
  succeeded: 'ok',
  failed: 'bad',
  partial: 'warn',
  expired: 'warn',
  cancelled: 'idle',
};

/** Merges the live state over the job as the API returned it. */
function withLive(job: Job, live: LiveJobState | null): Job {
  if (!live || live.jobId !== job.id) return job;
  const liveTargets = new Map(live.targets.map((t) => [t.deviceId, t]));
  return {
    ...job,
    status: live.status,
    progress: live.progress,
    finishedAt: live.finishedAt,
    ...(job.targets && {
      targets: job.targets.map((t) => {
        const l = liveTargets.get(t.deviceId);
        return l ? { ...t, status: l.status, ...(l.error !== undefined && { error: l.error }) } : t;
      }),
    }),
  };
}

/**
 * One job: live progress per device (over the live stream, no reloading), its parameters, and
 * its results with names resolved, exportable as CSV or JSON.
 */
@customElement('drm-job-view')
export class DrmJobView extends LitElement {
  static override styles = [
    base,
    css`
      .sub {
        color: var(--drm-muted);
        margin: 0.25rem 0 0;
      }
      .overall {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 1rem;
        align-items: center;
      }
      .overall drm-progress {
        height: 0.55rem;
      }
    `,
  ];

  @property() tenantId = '';
  @property() jobId = '';
  @state() private _live: LiveJobState | null = null;
  @state() private _progress = new Map<string, ProgressEvent>();
  @state() private _liveAgents = new Map<string, LiveAgentState>();
  @state() private _cancelling = false;
  #finished = -1;
  #resultsTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #ctx = new AppContextConsumer(this);

  readonly #job = new Resource(this, {
    args: () => (this.tenantId && this.jobId ? [this.tenantId, this.jobId] : null),
    task: ([tenantId, jobId], signal) => getJob(tenantId, jobId, signal),
  });

  readonly #agents = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: ([tenantId], signal) => listAgents(tenantId, signal),
  });

  readonly #results = new Resource(this, {
    args: () => (this.tenantId && this.jobId ? [this.tenantId, this.jobId] : null),
    task: ([tenantId, jobId], signal) => listResults(tenantId, jobId, signal),
  });

  constructor() {
    super();
    new LiveController(this, {
      key: () => (this.tenantId && this.jobId ? `${this.tenantId}/${this.jobId}` : null),
      subscribe: () => {
        this._live = null;
        this._progress = new Map();
        return subscribeJob(this.tenantId, this.jobId, (ev) => {
          if (ev.type === 'snapshot' || ev.type === 'updated') {
            this._live = ev.type === 'snapshot' ? ev.job : mergeJobState(this._live, ev.job);
            this.#maybeReloadResults();
          } else if (ev.type === 'progress') {
            this._progress = new Map(this._progress).set(ev.progress.deviceId, ev.progress);
          }
        });
      },
    });
    // Whether the agents of the targets are there: a job waiting on an offline agent says so.
    new LiveController(this, {
      key: () => this.tenantId || null,
      subscribe: () =>
        subscribeAgents(this.tenantId, (ev) => {
          if (ev.type === 'snapshot') this._liveAgents = new Map(ev.agents.map((a) => [a.agentId, a]));
          else if (ev.type === 'updated')
            this._liveAgents = new Map(this._liveAgents).set(ev.agent.agentId, ev.agent);
        }),
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#resultsTimer);
  }

  /** Results appear as targets finish: fetch them again whenever another one has. */
  #maybeReloadResults() {
    const finished = this._live?.progress.done ?? 0;
    const known = this.#finished >= 0 ? this.#finished : (this.#job.value?.progress.done ?? -1);
    this.#finished = finished;
    if (finished === known) return;
    clearTimeout(this.#resultsTimer);
    this.#resultsTimer = setTimeout(() => {
      void this.#results.reload();
      void this.#job.reload();
    }, 300);
  }

  async #cancel() {
    this._cancelling = true;
    try {
      await cancelJob(this.tenantId, this.jobId);
      toast(
        this,
        'info',
        'Cancellation requested; devices already working stop when their agent hears of it.',
      );
      await this.#job.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    } finally {
      this._cancelling = false;
    }
  }

  #agentMap() {
    const agents = withLiveAgents(this.#agents.value?.items ?? [], this._liveAgents);
    return new Map(agents.map((a) => [a.id, a]));
  }

  #overall(job: Job) {
    const { done, total } = job.progress;
    const text = `${done} of ${total} device${total === 1 ? '' : 's'} finished`;
    const tone = TONES[job.status] ?? '';
    return html`<section class="card" aria-labelledby="progress-h">
      <h2 id="progress-h">Progress</h2>
      <div class="overall">
        <drm-progress label="Job progress" .value=${total ? done / total : 0} value-text=${text} tone=${tone}></drm-progress>
        <span role="status" aria-live="polite" class="nowrap">${text}</span>
      </div>
      ${
        job.cancelRequestedAt && !isTerminalStatus(job.status)
          ? html`<p class="notice warn small">Cancellation requested ${formatDateTime(job.cancelRequestedAt)}.</p>`
          : nothing
      }
<drm-job-targets
        .targets=${job.targets ?? []}
        .progress=${this._progress}
        .agents=${this.#agentMap()}
        .tenantId=${this.tenantId}
      ></drm-job-targets>
    </section>`;
  }

  #spec(job: Job) {
    return html`<section class="card" aria-labelledby="spec-h">
      <h2 id="spec-h">What it does</h2>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>${kindLabel(job.kind)}</dd>
        <dt>Summary</dt>
        <dd class="mono">${jobSummary(job)}</dd>
        <dt>Devices</dt>
        <dd>${(job.targets ?? []).map((t) => t.deviceName ?? t.deviceId).join(', ') || '—'}</dd>
        <dt>Created</dt>
        <dd>${formatDateTime(job.createdAt)}</dd>
        ${job.finishedAt ? html`<dt>Finished</dt><dd>${formatDateTime(job.finishedAt)}</dd>` : nothing}
        ${job.expiresAt && !job.finishedAt ? html`<dt>Gives up</dt><dd>${formatDateTime(job.expiresAt)}</dd>` : nothing}
      </dl>
      <details>
        <summary class="small">Parameters as sent</summary>
        <pre class="mono small">${JSON.stringify(job.params, null, 2)}</pre>
      </details>
    </section>`;
  }

  override render() {
    const loaded = this.#job.value;
    if (!loaded) {
      return html`<div class="page-head"><h1>Job</h1></div>
        <drm-error-panel .error=${this.#job.error} retry @drm-retry=${() => this.#job.reload()}></drm-error-panel>
        ${this.#job.loading ? html`<p class="muted" role="status">Loading…</p>` : nothing}`;
    }
    const job = withLive(loaded, this._live);
    const terminal = isTerminalStatus(job.status);
    const names = new Map((job.targets ?? []).map((t) => [t.deviceId, t.deviceName ?? t.deviceId]));
    return html`<div class="page-head">
        <div>
          <h1>${kindLabel(job.kind)} <drm-status-badge status=${job.status}></drm-status-badge></h1>
          <p class="sub mono">${jobSummary(job)}</p>
        </div>
        <div class="actions">
          ${
            can(this.#ctx.value?.role, 'jobs.write') && !terminal
              ? html`<drm-confirm-button
                danger
                heading="Cancel this job?"
                message="Devices not started yet are skipped; devices in progress stop when their agent hears of it."
                confirm-label="Cancel job"
                ?disabled=${this._cancelling || !!job.cancelRequestedAt}
                @drm-confirm=${this.#cancel}
                >${job.cancelRequestedAt ? 'Cancelling…' : 'Cancel job'}</drm-confirm-button
              >`
              : nothing
          }
          <a class="button" href=${routeUrl({ name: 'jobs', tenantId: this.tenantId })}>All jobs</a>
        </div>
      </div>
      ${this.#overall(job)} ${this.#spec(job)}
      <drm-job-results
        .jobId=${job.id}
        .results=${this.#results.value?.items ?? []}
        .truncated=${this.#results.value?.truncated ?? false}
        .deviceNames=${names}
        .loading=${this.#results.loading}
        .error=${this.#results.error}
        @drm-retry=${() => this.#results.reload()}
      ></drm-job-results>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-view': DrmJobView;
  }
}
