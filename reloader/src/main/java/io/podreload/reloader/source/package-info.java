/** The places configuration comes from, behind one small interface. */
package io.podreload.reloader.source;
