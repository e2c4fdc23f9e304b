// Live alerts panel: open alerts from GET /v1/admin/alerts, then every change as it happens from
// the server-sent event stream GET /v1/admin/events (the session cookie authenticates it; a GET
// needs no CSRF token). EventSource reconnects by itself and sends Last-Event-ID, so a short
// outage replays what was missed; a `reset` event means the server could not, and the list is
// reloaded. Everything is rendered with textContent: alert fields never become markup.

const SEVERITIES = ['critical', 'high', 'medium', 'low'];

export function startAlertsPanel({ api, status, canAck }) {
  const panel = document.getElementById('alerts-panel');
  const list = document.getElementById('alerts');
  const state = document.getElementById('stream-state');
  /** alert id → { li, alert } */
  const rows = new Map();
  panel.hidden = false;

  function acknowledgeButton(alert) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'ack';
    button.textContent = 'Acknowledge';
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        render(await api(`/v1/admin/alerts/${encodeURIComponent(alert.id)}/ack`, {}));
        status('Alert acknowledged');
      } catch (error) {
        button.disabled = false;
        status(error.message === 'AUTH_STEP_UP_REQUIRED' ? 'Sign in again with your second factor to acknowledge' : `Acknowledge failed: ${error.message}`);
      }
    });
    return button;
  }

  function render(alert) {
    let row = rows.get(alert.id);
    if (!row) {
      row = { li: document.createElement('li'), alert };
      row.li.dataset.alertId = alert.id;
      rows.set(alert.id, row);
      list.prepend(row.li);
    }
    row.alert = alert;
    const { li } = row;
    li.replaceChildren();
    li.className = `alert severity-${SEVERITIES.includes(alert.severity) ? alert.severity : 'low'}`;
    const title = document.createElement('strong');
    title.textContent = `${alert.severity.toUpperCase()} ${alert.title}`;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = ` ${new Date(alert.createdAt).toISOString()} · ${alert.ruleId} · ${alert.groupKey} `;
    li.append(title, meta);
    if (alert.ackedAt !== null) {
      li.classList.add('acked');
      const acked = document.createElement('span');
      acked.className = 'acked-by';
      acked.textContent = `acknowledged by ${alert.ackedBy}`;
      li.append(acked);
    } else if (canAck) {
      li.append(acknowledgeButton(alert));
    }
  }

  async function reload() {
    const { alerts } = await api('/v1/admin/alerts?status=open&limit=50');
    list.replaceChildren();
    rows.clear();
    for (const alert of [...alerts].reverse()) render(alert);
  }

  const source = new EventSource('/v1/admin/events?types=alert.raised,alert.acked', { withCredentials: true });
  source.addEventListener('open', () => { state.textContent = 'Live'; });
  source.addEventListener('error', () => { state.textContent = 'Reconnecting…'; });
  source.addEventListener('alert.raised', (event) => render(JSON.parse(event.data)));
  source.addEventListener('alert.acked', (event) => {
    const { id, ackedBy, ackedAt } = JSON.parse(event.data);
    const row = rows.get(id);
    if (row) render({ ...row.alert, ackedBy, ackedAt });
  });
  source.addEventListener('reset', () => { reload().catch((error) => status(`Reload failed: ${error.message}`)); });

  reload().catch((error) => status(`Alerts failed to load: ${error.message}`));
  return () => source.close();
}
