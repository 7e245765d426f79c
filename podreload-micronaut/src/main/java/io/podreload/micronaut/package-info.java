/**
 * Config reload for a Micronaut service, added as one dependency: SIGHUP in, the config dirs read,
 * merged, bound to the host's {@code @ConfigurationProperties} types and validated, swapped whole,
 * then a status file out. See docs/library.md.
 */
package io.podreload.micronaut;
