// The one chrome.* API the example's service worker uses (the real types are @types/chrome).
declare namespace chrome.runtime {
  const onMessage: {
    addListener(
      listener: (message: { seed: number; k?: number }, sender: unknown, reply: (response: unknown) => void) => boolean,
    ): void;
  };
}
