/**
 * The Vault source: reads one KV secret with the Vault Java driver, renders it as a properties file
 * into the secrets dir in the kubelet's layout, and reports each new version to the reload
 * pipeline. No secret value leaves this package except in the rendered file.
 */
package io.podreload.reloader.vault;
