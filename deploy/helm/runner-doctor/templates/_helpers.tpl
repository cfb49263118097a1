{{- define "runner-doctor.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "runner-doctor.labels" -}}
app.kubernetes.io/name: runner-doctor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "runner-doctor.runnerNamespace" -}}
{{- .Values.runner.namespace | default .Release.Namespace }}
{{- end }}

{{/* The `check` arguments the Job and the test pod run. */}}
{{- define "runner-doctor.args" -}}
- check
- --namespace
- {{ include "runner-doctor.runnerNamespace" . | quote }}
{{- with .Values.runner.release }}
- --release
- {{ . | quote }}
{{- end }}
- --fail-on
- {{ .Values.failOn | quote }}
- --timeout
- {{ .Values.timeout | quote }}
- --summary-file
- /dev/termination-log
{{- range .Values.only }}
- --only
- {{ . | quote }}
{{- end }}
{{- range .Values.skip }}
- --skip
- {{ . | quote }}
{{- end }}
{{- if .Values.waivers }}
- --config
- /etc/runner-doctor/doctor.yaml
{{- end }}
{{- with .Values.pushgateway }}
- --pushgateway
- {{ . | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* The doctor's pod: Pod Security restricted, read-only root, the verdict in its termination message. */}}
{{- define "runner-doctor.podSpec" -}}
serviceAccountName: {{ include "runner-doctor.name" . }}
automountServiceAccountToken: true
restartPolicy: Never
securityContext:
  runAsNonRoot: true
  runAsUser: 65534
  runAsGroup: 65534
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: runner-doctor
    image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args:
      {{- include "runner-doctor.args" . | nindent 6 }}
    env:
      - name: CI
        value: "true"
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      capabilities:
        drop: [ALL]
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- if .Values.waivers }}
      - name: config
        mountPath: /etc/runner-doctor
        readOnly: true
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- if .Values.waivers }}
  - name: config
    configMap:
      name: {{ include "runner-doctor.name" . }}
  {{- end }}
{{- end }}
