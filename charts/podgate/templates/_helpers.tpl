{{/* The name of every object: the release name unless overridden. */}}
{{- define "podgate.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object's metadata: manifests/base's, and Helm's own. */}}
{{- define "podgate.labels" -}}
app.kubernetes.io/name: podgate
{{ include "podgate.commonLabels" . }}
{{- end -}}

{{/* What manifests/base's kustomization adds to every object (the Namespace too), and Helm's own. */}}
{{- define "podgate.commonLabels" -}}
app.kubernetes.io/part-of: podgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "podgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The built-in mutating webhooks that are enabled, then the extra ones: one call runs them in this order. */}}
{{- define "podgate.mutatingEntries" -}}
{{- $entries := list -}}
{{- range $type := list "sidecar" "defaults" -}}
{{- $w := index $.Values.webhooks $type -}}
{{- if $w.enabled -}}
{{- $entries = append $entries (dict "name" $type "type" $type "failurePolicy" $w.failurePolicy "timeoutSeconds" $w.timeoutSeconds "settings" $w.settings) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraWebhooks.mutating -}}
{{- $entries = append $entries . -}}
{{- end -}}
{{- toJson $entries -}}
{{- end -}}

{{- define "podgate.hasPolicies" -}}
{{- if or .Values.policies.inline .Values.policies.existingConfigMap -}}true{{- end -}}
{{- end -}}

{{- define "podgate.hasModules" -}}
{{- if or .Values.modules.inline .Values.modules.existingConfigMap .Values.modules.image -}}true{{- end -}}
{{- end -}}

{{/* The validating entries: the policy webhook (with the users' policy files when there are any), then the extra ones (with their rules). */}}
{{- define "podgate.validatingEntries" -}}
{{- $entries := list -}}
{{- with .Values.webhooks.policy -}}
{{- if .enabled -}}
{{- $settings := dict "library" .library -}}
{{- if include "podgate.hasPolicies" $ -}}
{{- $_ := set $settings "files" (list "/etc/podgate/policies") -}}
{{- end -}}
{{- $entries = append $entries (dict "name" "policy" "type" "policy" "failurePolicy" .failurePolicy "timeoutSeconds" .timeoutSeconds "settings" $settings "rules" .rules) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraWebhooks.validating -}}
{{- $entries = append $entries . -}}
{{- end -}}
{{- toJson $entries -}}
{{- end -}}

{{/* podgate's config file, built from the values (manifests/base/config.yaml with the defaults). */}}
{{- define "podgate.config" -}}
{{- $name := include "podgate.fullname" . -}}
{{- $validating := list -}}
{{- range (include "podgate.validatingEntries" . | fromJsonArray) -}}
{{- $validating = append $validating (omit . "rules") -}}
{{- end -}}
{{- $server := dict "host" "0.0.0.0" "port" 8443 "tlsDir" "/etc/podgate/tls" "shutdownDelaySeconds" .Values.shutdownDelaySeconds "metrics" (dict "host" "0.0.0.0" "port" 9090) -}}
{{- $certificates := dict "mode" "secret" "namespace" .Release.Namespace "service" $name "secret" (printf "%s-tls" $name) "mutatingWebhookConfiguration" $name "validatingWebhookConfiguration" $name "lease" (printf "%s-certificates" $name) "podSelector" "app.kubernetes.io/name=podgate,app.kubernetes.io/component=server" -}}
{{- $admission := dict "mutating" (include "podgate.mutatingEntries" . | fromJsonArray) "validating" $validating -}}
{{- $config := dict "server" $server "certificates" $certificates "admission" $admission "extender" .Values.extender -}}
{{- if .Values.reports.enabled -}}
{{- $_ := set $config "reports" (dict "enabled" true "intervalSeconds" .Values.reports.intervalSeconds "qps" .Values.reports.qps "namespace" .Release.Namespace "lease" (printf "%s-reports" $name)) -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "podgate.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ concat .Values.excludedNamespaces (list .Release.Namespace) | toJson }}
{{- end -}}

{{- define "podgate.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities: { drop: ["ALL"] }
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "podgate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
seccompProfile: { type: RuntimeDefault }
{{- end -}}
