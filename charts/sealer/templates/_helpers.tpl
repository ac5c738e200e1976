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
{{/* The name kustomize-plugin/argocd's Component gives it too (there with a content hash). */}}
{{- define "sealer.argocd.pluginConfigMap" -}}
sealer-kustomize-cmp
{{- end -}}

{{/*
What the controller needs wherever it unseals, and nothing more (checked against the API calls
sealer_controller makes): read and watch SealedSecrets and patch their status; read, watch,
create and replace (PUT = update) the Secrets it writes; post events. It never patches or
deletes a Secret (Kubernetes garbage-collects them through their ownerReference), and kopf runs
with event handlers only, so SealedSecrets themselves are never written. No "*" anywhere.
*/}}
{{- define "sealer.unsealerRules" -}}
- apiGroups: ["bitnami.com"]
  resources: ["sealedsecrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["bitnami.com"]
  resources: ["sealedsecrets/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{/*
Values for Argo CD's own Helm chart (argo/argo-cd) that add our Config Management Plugin sidecar
to argocd-repo-server: the plugin definition from our ConfigMap, the age identities from an
existing Secret, a scratch /tmp, and Argo CD's own argocd-cmp-server as the command.
*/}}
{{- define "sealer.argocd.repoServerValues" -}}
{{- $a := .Values.argocd -}}
repoServer:
  extraContainers:
    - name: sealer-kustomize
      image: {{ include "sealer.image" (list $a.image .Chart.AppVersion) | quote }}
      imagePullPolicy: {{ $a.image.pullPolicy }}
      command: ["/var/run/argocd/argocd-cmp-server"]
      env:
        - name: SOPS_AGE_KEY_FILE
          value: {{ printf "/home/argocd/sops-age/%s" $a.ageKeySecret.key | quote }}
        - name: TMPDIR
          value: /tmp
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        runAsGroup: 999
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
      resources:
        {{- toYaml $a.resources | nindent 8 }}
      volumeMounts:
        - name: var-files
          mountPath: /var/run/argocd
        - name: plugins
          mountPath: /home/argocd/cmp-server/plugins
        - name: sealer-kustomize-cmp
          mountPath: /home/argocd/cmp-server/config/plugin.yaml
          subPath: plugin.yaml
        - name: sops-age-key
          mountPath: /home/argocd/sops-age
          readOnly: true
        # Its own /tmp, not the repo-server's.
        - name: sealer-kustomize-tmp
          mountPath: /tmp
  volumes:
    - name: sealer-kustomize-cmp
      configMap:
        name: {{ include "sealer.argocd.pluginConfigMap" . }}
    - name: sops-age-key
      secret:
        secretName: {{ $a.ageKeySecret.name }}
        # Secret files are owned by root: 0444 lets uid 999 read it; only this container mounts it.
        defaultMode: 0444
        items:
          - key: {{ $a.ageKeySecret.key }}
            path: {{ $a.ageKeySecret.key }}
    - name: sealer-kustomize-tmp
      emptyDir: {}
{{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- include "sealer.imagePullSecrets" . | trim | nindent 4 }}
{{- end }}
{{- end -}}
