{{/* Names, labels, images and the security settings every template of the chart shares. */}}

{{- define "tweetstack.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of a component's objects: tweetstack.name (dict "root" $ "component" "web"). */}}
{{- define "tweetstack.name" -}}
{{- printf "%s-%s" (include "tweetstack.fullname" .root) .component -}}
{{- end -}}

{{- define "tweetstack.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tweetstack.labels" -}}
{{ include "tweetstack.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* A NAME=value file of the repository (symlinked into files/) as a JSON dict:
tweetstack.envFile (dict "root" $ "path" "files/versions.env") | fromJson. */}}
{{- define "tweetstack.envFile" -}}
{{- $values := dict -}}
{{- range .root.Files.Lines .path -}}
{{- if and (contains "=" .) (not (hasPrefix "#" .)) -}}
{{- $pair := splitn "=" 2 . -}}
{{- $_ := set $values $pair._0 $pair._1 -}}
{{- end -}}
{{- end -}}
{{- if not $values -}}
{{- fail (printf "%s holds no NAME=value line (is the symlink into the repository intact?)" .path) -}}
{{- end -}}
{{- toJson $values -}}
{{- end -}}

{{/* An upstream image: the value's override, else versions.env's NAME. */}}
{{- define "tweetstack.upstreamImage" -}}
{{- $override := index .root.Values.upstreamImages .value -}}
{{- if $override -}}
{{- $override -}}
{{- else -}}
{{- $versions := include "tweetstack.envFile" (dict "root" .root "path" "files/versions.env") | fromJson -}}
{{- required (printf "versions.env has no %s" .name) (index $versions .name) -}}
{{- end -}}
{{- end -}}

{{/* One of this repository's images: tweetstack.image (dict "root" $ "name" "web"). */}}
{{- define "tweetstack.image" -}}
{{- $repository := index .root.Values.image .name -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" .root.Values.image.registry $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security profile, pod level: a non-root uid and RuntimeDefault seccomp. */}}
{{- define "tweetstack.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* ... and container level: no privilege escalation, no capabilities, a read-only root filesystem. */}}
{{- define "tweetstack.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The Secret of the release's secrets; required, never rendered by the chart. */}}
{{- define "tweetstack.secret" -}}
{{- required "existingSecret: name the Secret holding DJANGO_SECRET_KEY and METRICS_TOKEN (README: Beyond one host)" .Values.existingSecret -}}
{{- end -}}

{{/* What every container of the app image reads (web and the migrations Job). */}}
{{- define "tweetstack.djangoEnv" -}}
- name: DJANGO_SETTINGS_MODULE
  value: config.settings.production
- name: DJANGO_DEBUG
  value: "false"
- name: LOG_FORMAT
  value: json
- name: DEPLOYMENT_ENVIRONMENT
  value: {{ .Values.deploymentEnvironment | quote }}
- name: DJANGO_ALLOWED_HOSTS
  value: {{ required "allowedHosts: the site's host names" (join "," .Values.allowedHosts) | quote }}
- name: DJANGO_CSRF_TRUSTED_ORIGINS
  value: {{ join "," .Values.csrfTrustedOrigins | quote }}
- name: DJANGO_SECURE_SSL_REDIRECT
  value: {{ .Values.tlsTerminatedUpstream | quote }}
- name: DJANGO_SECURE_COOKIES
  value: {{ .Values.tlsTerminatedUpstream | quote }}
- name: DJANGO_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tweetstack.secret" . }}
      key: DJANGO_SECRET_KEY
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if eq .Values.postgresql.mode "cnpg" }}
      # Written by CloudNativePG for the Cluster's application user.
      name: {{ include "tweetstack.name" (dict "root" . "component" "db") }}-app
      key: uri
{{- else }}
      name: {{ include "tweetstack.secret" . }}
      key: DATABASE_URL
{{- end }}
- name: REDIS_URL
  value: {{ printf "redis://%s:%d/0" (include "tweetstack.name" (dict "root" . "component" "redis")) (int .Values.ports.redis) | quote }}
{{- end -}}

{{/* Egress of the app image's pods (web, migrations): the database and Redis. */}}
{{- define "tweetstack.appEgress" -}}
{{- if eq .Values.postgresql.mode "cnpg" }}
- to:
    - podSelector:
        matchLabels:
          {{- include "tweetstack.selectorLabels" (dict "root" . "component" "db") | nindent 10 }}
  ports:
    - {protocol: TCP, port: {{ .Values.ports.postgres }}}
{{- else }}
# An external database: wherever its URL points, on its port.
- ports:
    - {protocol: TCP, port: {{ .Values.ports.postgres }}}
{{- end }}
- to:
    - podSelector:
        matchLabels:
          {{- include "tweetstack.selectorLabels" (dict "root" . "component" "redis") | nindent 10 }}
  ports:
    - {protocol: TCP, port: {{ .Values.ports.redis }}}
{{- end -}}

{{/* NetworkPolicy peers: the pods of one component, and the cluster's DNS. */}}
{{- define "tweetstack.peer" -}}
- podSelector:
    matchLabels:
      {{- include "tweetstack.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- define "tweetstack.dns" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}

{{/* Every port of the release, from the repository's ports.env (symlinked into files/), the one
declaration of every port of every runtime: loaded into .Values.ports once, where each template reads it. */}}
{{- define "tweetstack.ports" -}}
{{- if not .Values.ports -}}
{{- $env := include "tweetstack.envFile" (dict "root" . "path" "files/ports.env") | fromJson -}}
{{- $names := dict
  "web" "WEB_PORT" "nginxPublic" "NGINX_PORT" "nginxInternal" "NGINX_STATUS_PORT"
  "nginxExporter" "NGINX_EXPORTER_PORT" "redis" "REDIS_PORT" "redisExporter" "REDIS_EXPORTER_PORT"
  "postgres" "POSTGRES_PORT" "postgresMetrics" "POSTGRES_EXPORTER_PORT"
  "otlpGrpc" "OTELCOL_OTLP_GRPC_PORT" "otlpHttp" "OTELCOL_OTLP_HTTP_PORT"
  "collectorMetrics" "OTELCOL_METRICS_PORT" "collectorSpanMetrics" "OTELCOL_SPANMETRICS_PORT"
  "collectorHealth" "OTELCOL_HEALTH_PORT" "collectorZpages" "OTELCOL_ZPAGES_PORT"
  "traces" "JAEGER_OTLP_GRPC_PORT" "prometheus" "PROMETHEUS_PORT"
-}}
{{- $ports := dict -}}
{{- range $key, $name := $names -}}
{{- $_ := set $ports $key (required (printf "ports.env has no %s" $name) (index $env $name) | atoi) -}}
{{- end -}}
{{- $_ := set .Values "ports" $ports -}}
{{- end -}}
{{- end -}}

{{/* The checklist's schedule: checklist.schedule, else every ProductionReadinessChecklistStale interval
as monitoring/prometheus/rules/checklist.yml writes it (`> 3 * SECONDS`, the number the other runtimes'
`python -m checklist --every` reads), in whole minutes that divide an hour. */}}
{{- define "tweetstack.checklistSchedule" -}}
{{- if .Values.checklist.schedule -}}
{{- .Values.checklist.schedule -}}
{{- else -}}
{{- $rules := .Files.Get "files/prometheus-rules/checklist.yml" -}}
{{- $found := regexFind "> 3 \\* [0-9]+" $rules -}}
{{- if not $found -}}
{{- fail "files/prometheus-rules/checklist.yml: no `> 3 * SECONDS` in ProductionReadinessChecklistStale (is the symlink into the repository intact?)" -}}
{{- end -}}
{{- $seconds := regexFind "[0-9]+$" $found | atoi -}}
{{- $minutes := div $seconds 60 -}}
{{- if or (mod $seconds 60) (lt $minutes 1) (gt $minutes 60) (mod 60 $minutes) -}}
{{- fail (printf "ProductionReadinessChecklistStale's interval of %d s is no whole number of minutes dividing an hour: set checklist.schedule" $seconds) -}}
{{- end -}}
{{- if eq $minutes 60 -}}0 * * * *{{- else -}}{{ printf "*/%d * * * *" $minutes }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* The site as the checklist checks it: checklist.url, else the Ingress' https:// host (what users
reach), else nginx's Service inside the cluster. */}}
{{- define "tweetstack.checklistURL" -}}
{{- if .Values.checklist.url -}}
{{- .Values.checklist.url -}}
{{- else if and .Values.nginx.ingress.enabled .Values.nginx.ingress.host -}}
{{- printf "https://%s" .Values.nginx.ingress.host -}}
{{- else -}}
{{- printf "http://%s.%s.svc.%s:%d" (include "tweetstack.name" (dict "root" . "component" "nginx")) .Release.Namespace .Values.nginx.clusterDomain (int .Values.nginx.service.port) -}}
{{- end -}}
{{- end -}}

{{/* The claim of the status volume: the checklist's results, written by its CronJob, exported by web. */}}
{{- define "tweetstack.statusClaim" -}}
{{- .Values.checklist.status.existingClaim | default (include "tweetstack.name" (dict "root" . "component" "status")) -}}
{{- end -}}

{{/* The TCP port of a URL: its own, else its scheme's (tweetstack.urlPort "https://host" is 443). */}}
{{- define "tweetstack.urlPort" -}}
{{- $url := urlParse . -}}
{{- $hostPort := splitList ":" $url.host -}}
{{- if gt (len $hostPort) 1 -}}
{{- last $hostPort -}}
{{- else -}}
{{- ternary 443 80 (eq $url.scheme "https") -}}
{{- end -}}
{{- end -}}

{{/* The Prometheus the checklist asks: checklist.prometheusURL, else the Prometheus Operator's. */}}
{{- define "tweetstack.checklistPrometheus" -}}
{{- .Values.checklist.prometheusURL | default (printf "http://prometheus-operated.monitoring.svc.%s:%d" .Values.nginx.clusterDomain (int .Values.ports.prometheus)) -}}
{{- end -}}
