{{/*
Chart name, or nameOverride. Kubernetes names are at most 63 characters.
*/}}
{{- define "likepipe-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the objects: fullnameOverride, else "<release>-<name>", else just the release name when it already
contains the name (so `helm install likepipe-operator .` gives "likepipe-operator", not a doubled name).
*/}}
{{- define "likepipe-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of cluster-scoped objects (ClusterRole, ClusterRoleBinding): the full name plus the release namespace, so
two releases of the same name in different namespaces (one operator per namespace, with watchNamespace) do not
collide.
*/}}
{{- define "likepipe-operator.clusterName" -}}
{{- printf "%s-%s" (include "likepipe-operator.fullname" .) .Release.Namespace | trunc 253 | trimSuffix "-" }}
{{- end }}

{{/*
chart label: name-version, "+" (allowed in SemVer, not in label values) replaced.
*/}}
{{- define "likepipe-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the operator pods. Never change these in an upgrade: a Deployment's selector is immutable.
*/}}
{{- define "likepipe-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "likepipe-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels on every object of the chart.
*/}}
{{- define "likepipe-operator.labels" -}}
helm.sh/chart: {{ include "likepipe-operator.chart" . }}
{{ include "likepipe-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: likepipeline
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
ServiceAccount the operator runs as.
*/}}
{{- define "likepipe-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "likepipe-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Operator image: repository@digest when a digest is given, else repository:tag (tag defaults to appVersion).
*/}}
{{- define "likepipe-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Namespace the LikePipelines live in, for NOTES: the watched one, else the release namespace.
*/}}
{{- define "likepipe-operator.pipelineNamespace" -}}
{{- default .Release.Namespace .Values.watchNamespace }}
{{- end }}

{{/*
Name of the leader-election Lease. Per release, so two releases in one namespace never share a lease.
*/}}
{{- define "likepipe-operator.leaseName" -}}
{{- include "likepipe-operator.fullname" . }}
{{- end }}

{{/*
Rules for the namespaced objects the operator reconciles: exactly the API calls it makes (see the README).
Used by the ClusterRole (all namespaces) or by the Role in watchNamespace.
*/}}
{{- define "likepipe-operator.namespacedRules" -}}
{{- $manage := list "get" "list" "watch" "create" "patch" "update" "delete" -}}
# The LikePipelines themselves: read, and write only their status subresource.
- apiGroups: ["likepipe.io"]
  resources: ["likepipelines"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["likepipe.io"]
  resources: ["likepipelines/status"]
  verbs: ["get", "patch", "update"]
# Setting blockOwnerDeletion on owned objects needs this where OwnerReferencesPermissionEnforcement is on
# (OpenShift); the operator adds no finalizer.
- apiGroups: ["likepipe.io"]
  resources: ["likepipelines/finalizers"]
  verbs: ["update"]
# What a LikePipeline becomes: applied with server-side apply, watched, pruned when no longer wanted.
- apiGroups: [""]
  resources: ["services", "configmaps", "secrets"]
  verbs: {{ toJson $manage }}
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: {{ toJson $manage }}
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: {{ toJson $manage }}
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: {{ toJson $manage }}
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: {{ toJson $manage }}
# Optional kinds, used only when their operators' CRDs are installed: Strimzi, CloudNativePG, KEDA, Prometheus.
- apiGroups: ["kafka.strimzi.io"]
  resources: ["kafkas", "kafkanodepools", "kafkatopics"]
  verbs: {{ toJson $manage }}
- apiGroups: ["postgresql.cnpg.io"]
  resources: ["clusters"]
  verbs: {{ toJson $manage }}
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: {{ toJson $manage }}
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors", "prometheusrules"]
  verbs: {{ toJson $manage }}
# Events on LikePipelines, for `kubectl describe lp`.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
Rule for reading CustomResourceDefinitions (cluster-scoped, so always in a ClusterRole).
*/}}
{{- define "likepipe-operator.crdRules" -}}
# Which optional operators (Strimzi, CloudNativePG, KEDA, Prometheus) are installed, and when one appears.
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["get", "list", "watch"]
{{- end }}
