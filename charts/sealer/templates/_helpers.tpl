{{/*
Names. The default fullname is kubeseal's --controller-name default, sealed-secrets-controller,
whatever the release is called: `kubeseal --fetch-cert` and `sealer seal --fetch-cert` then work
with no flags (the Bitnami chart's default name, sealed-secrets, needs --controller-name).
*/}}
{{- define "sealer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sealer.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "sealer.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespace of every namespaced object the controller owns; "" means the release's. */}}
{{- define "sealer.namespace" -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- end -}}

{{- define "sealer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sealer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sealer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sealer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sealer.labels" -}}
{{ include "sealer.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* repository:tag, or repository@digest when a digest is pinned. */}}
{{- define "sealer.image" -}}
{{- $image := index . 0 -}}
{{- $appVersion := index . 1 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default $appVersion $image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{- define "sealer.imagePullSecrets" -}}
{{- range . }}
- name: {{ if kindIs "string" . }}{{ . }}{{ else }}{{ .name }}{{ end }}
{{- end }}
{{- end -}}

{{/* Names of the Argo CD objects. */}}
{{- define "sealer.argocd.pluginConfigMap" -}}
{{- printf "%s-argocd-cmp" (include "sealer.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
What the controller needs wherever it unseals: read SealedSecrets and report on them, write the
Secrets it owns, and say what happened in events. Used by the ClusterRole (all namespaces) or by
one Role per watched namespace. Verbs are listed exactly; there is no "*" anywhere.
*/}}
{{- define "sealer.unsealerRules" -}}
- apiGroups: ["bitnami.com"]
  resources: ["sealedsecrets"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["bitnami.com"]
  resources: ["sealedsecrets/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
