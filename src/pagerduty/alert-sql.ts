/** Every column of pagerduty_incidents as Alert reads it (bigint ids as text). */
export const ALERT_COLUMNS = `id, number, title, status, urgency, priority, service_id, service_name, opsbot_service, assignees,
  html_url, escalation_policy_id, last_change, latest_note, first_seen_at, state_at, note_at, channel, card_key,
  card_ts, storm_id::text AS storm_id, opsbot_incident_id,
  (SELECT i.channel_id FROM incidents i WHERE i.id = pagerduty_incidents.opsbot_incident_id)
    AS opsbot_incident_channel`;
