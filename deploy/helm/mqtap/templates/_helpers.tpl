{{- define "mqtap.name" -}}{{ .Chart.Name }}{{- end -}}
{{- define "mqtap.fullname" -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "mqtap.labels" -}}
app.kubernetes.io/name: {{ include "mqtap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "mqtap.selector" -}}
app.kubernetes.io/name: {{ include "mqtap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "mqtap.secretName" -}}{{ .Values.secrets.existingSecret | default (include "mqtap.fullname" .) }}{{- end -}}
