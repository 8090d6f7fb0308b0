{{/* The release's full name: the release name, with the chart's name appended unless it holds it already. */}}
{{- define "opsbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels of every object. */}}
{{- define "opsbot.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The labels that select one role's pods; takes (dict "root" $ "role" "web"). */}}
{{- define "opsbot.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{/* The service account the pods run as. */}}
{{- define "opsbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "opsbot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
One role's Deployment; takes (dict "root" $ "role" "web"|"worker"). Both roles run the same image and
configuration with `start --role <role>`, and both serve /healthz, /readyz and /metrics on PORT.
*/}}
{{- define "opsbot.deployment" -}}
{{- $root := .root -}}
{{- $role := .role -}}
{{- $values := index $root.Values $role -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "opsbot.fullname" $root }}-{{ $role }}
  labels:
    {{- include "opsbot.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $role }}
spec:
  {{- if or (eq $role "web") (not $root.Values.worker.autoscaling.enabled) }}
  replicas: {{ $values.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "opsbot.selectorLabels" (dict "root" $root "role" $role) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "opsbot.selectorLabels" (dict "root" $root "role" $role) | nindent 8 }}
      annotations:
        checksum/config: {{ $root.Values.opsYml | sha256sum }}
    spec:
      serviceAccountName: {{ include "opsbot.serviceAccountName" $root }}
      # More than OPSBOT_SHUTDOWN_GRACE, so opsbot exits before the kubelet's SIGKILL.
      terminationGracePeriodSeconds: {{ add $root.Values.shutdownGraceSeconds 15 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: opsbot
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [start, --role, {{ $role }}]
          ports:
            - name: http
              containerPort: {{ $root.Values.port }}
          env:
            - name: OPSBOT_CONFIG
              value: /etc/opsbot/ops.yml
            - name: PORT
              value: {{ $root.Values.port | quote }}
            - name: OPSBOT_SHUTDOWN_GRACE
              value: {{ printf "%ds" (int $root.Values.shutdownGraceSeconds) | quote }}
            - name: OPSBOT_QUEUE_PREFIX
              value: {{ $root.Values.queuePrefix | quote }}
            - name: LOG_LEVEL
              value: {{ $root.Values.logLevel | quote }}
            {{- range $name := list "SLACK_BOT_TOKEN" "DATABASE_URL" "REDIS_URL" }}
            - name: {{ $name }}
              valueFrom:
                secretKeyRef: { name: {{ $root.Values.existingSecret }}, key: {{ $name }} }
            {{- end }}
            {{- range $name := list "SLACK_SIGNING_SECRET" "SLACK_APP_TOKEN" "PAGERDUTY_TOKEN" "PAGERDUTY_WEBHOOK_SECRET" }}
            - name: {{ $name }}
              valueFrom:
                secretKeyRef: { name: {{ $root.Values.existingSecret }}, key: {{ $name }}, optional: true }
            {{- end }}
            {{- if $root.Values.kubeconfigSecret }}
            - name: KUBECONFIG
              value: /etc/opsbot-kube/config
            {{- end }}
            {{- with $root.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if $root.Values.opsSecret }}
          # The secrets ops.yml names as ${ENV_NAME}, one key per variable.
          envFrom:
            - secretRef: { name: {{ $root.Values.opsSecret }}, optional: true }
          {{- end }}
          # Migrations run before the port opens: give them up to 5 minutes before liveness counts.
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 5
            failureThreshold: 60
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          # PostgreSQL, Redis and Slack's auth.test reachable (each check answers within 3 s).
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 3
          {{- if eq $role "web" }}
          lifecycle:
            # Keep serving while the endpoint is removed from the Service, then stop on SIGTERM.
            preStop:
              exec:
                command: [sleep, "5"]
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/opsbot
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- if $root.Values.kubeconfigSecret }}
            - name: kubeconfig
              mountPath: /etc/opsbot-kube
              readOnly: true
            {{- end }}
            {{- with $root.Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "opsbot.fullname" $root }}-config
        - name: tmp
          emptyDir: {}
        {{- if $root.Values.kubeconfigSecret }}
        - name: kubeconfig
          secret:
            secretName: {{ $root.Values.kubeconfigSecret }}
        {{- end }}
        {{- with $root.Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
