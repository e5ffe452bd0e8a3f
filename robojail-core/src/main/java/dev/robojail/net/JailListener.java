package dev.robojail.net;

import dev.robojail.ffm.Kernel;
import dev.robojail.ffm.SyscallException;
import dev.robojail.ffm.Syscalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts on a listening socket made inside a jail's network namespace and serves each connection
 * on a thread of {@link Relay#THREADS}, at most {@code maxConnections} at once: the one accept loop
 * of the egress proxy and of the host-port relays. Everything ends with {@link #close()}.
 */
final class JailListener implements AutoCloseable {
  private static final int SOCK_CLOEXEC = 0x80000;

  /** What is done with each connection. */
  interface Handler {
    /** Serves one connection; the listener closes it afterwards. */
    void serve(Relay c);

    /** Tells a connection that came when every slot was taken; it is closed afterwards. */
    void overflow(Relay c);
  }

  private final Kernel kernel;
  private final int listenFd;
  private final Duration idleTimeout;
  private final String name;
  private final Handler handler;
  private final Semaphore slots;
  private final Set<Relay> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicLong served = new AtomicLong();
  private final Thread acceptor;
  private final Thread watch;
  private volatile boolean closed;

  JailListener(
      Kernel kernel,
      int listenFd,
      int maxConnections,
      Duration idleTimeout,
      String name,
      Handler handler) {
    this.kernel = kernel;
    this.listenFd = listenFd;
    this.idleTimeout = idleTimeout;
    this.name = name;
    this.handler = handler;
    this.slots = new Semaphore(maxConnections);
    this.acceptor =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-" + name)
            .stackSize(Relay.STACK)
            .unstarted(this::acceptLoop);
    this.watch =
        Thread.ofPlatform()
            .daemon()
            .name("robojail-" + name + "-idle")
            .stackSize(Relay.STACK)
            .unstarted(this::watchLoop);
  }

  JailListener start() {
    acceptor.start();
    watch.start();
    return this;
  }

  // A relay's threads block in splice, which has no timeout: one thread per listener ends the
  // connections that carried nothing for their idle timeout.
  private void watchLoop() {
    while (!closed) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      for (Relay c : live) {
        if (c.idle()) {
          c.abort();
        }
      }
    }
  }

  int openConnections() {
    return live.size();
  }

  long connectionsServed() {
    return served.get();
  }

  boolean isOpen() {
    return !closed;
  }

  private void acceptLoop() {
    while (!closed) {
      int fd;
      try {
        fd = kernel.accept4(listenFd, SOCK_CLOEXEC);
      } catch (SyscallException e) {
        if (closed) {
          break;
        }
        pause(); // EMFILE and the like: the jail's clients wait in the backlog meanwhile
        continue;
      }
      served.incrementAndGet();
      Relay c = new Relay(kernel, fd, ids.incrementAndGet(), idleTimeout);
      if (!slots.tryAcquire()) {
        handler.overflow(c);
        c.close();
        continue;
      }
      live.add(c);
      if (closed) {
        c.abort();
      }
      try {
        Relay.THREADS.execute(() -> serve(c));
      } catch (OutOfMemoryError | java.util.concurrent.RejectedExecutionException e) {
        live.remove(c);
        slots.release();
        c.close();
      }
    }
  }

  private void serve(Relay c) {
    try {
      handler.serve(c);
    } finally {
      c.close();
      live.remove(c);
      slots.release();
      // last: close() waits for this, and then the connection must be gone entirely
      c.done.countDown();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops accepting, ends every connection and waits a moment for their threads; the listening
   * socket is closed, so that the jail's clients get "connection refused" from then on.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      kernel.shutdown(listenFd, Syscalls.SHUT_RDWR); // wakes the acceptor
    } catch (SyscallException e) {
      // not listening any more: the acceptor has nothing to wait for
    }
    join(acceptor);
    watch.interrupt();
    // Joined like the acceptor: close() promises that none of the listener's threads outlives it
    // (NetworkTest, as nobody under load, once found the idle watch still alive after close).
    join(watch);
    kernel.close(listenFd);
    List<Relay> open = new ArrayList<>(live);
    open.forEach(Relay::abort);
    for (Relay c : open) {
      try {
        c.done.await(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void join(Thread t) {
    if (t == null) {
      return;
    }
    try {
      t.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
