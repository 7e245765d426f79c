/**
 * What two programs of the pod share: the kubelet volume layout, config parsing, the status file.
 */
package io.podreload.common;
