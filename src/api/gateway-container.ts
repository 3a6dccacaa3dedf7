// What every container running `mcpre gateway` gets, whichever object the operator creates it for (a proxy
// endpoint's Deployment or a VirtualMCPServer's): probes on the gateway's health endpoints, and a locked-down
// process (non-root, no privilege escalation, read-only root file system, no capabilities).
export const gatewayContainerChecks = {
  readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
} as const;
