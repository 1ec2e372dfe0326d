// The API token the functions want for their JSON (the emnist-api-token secret). It comes from the address's
// #token=... once (./emnist serve prints such a link; a fragment never reaches a server or its logs), is kept in
// this browser's localStorage for this gateway, and is asked for at most once per page when a function answers
// 401 (no token kept, or a wrong one).
const EmnistAuth = (() => {
  const KEY = 'emnist-api-token';
  const given = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (given) {
    localStorage.setItem(KEY, decodeURIComponent(given[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  let asked = false;
  async function authFetch(url, options = {}) {
    for (;;) {
      const token = localStorage.getItem(KEY);
      const headers = Object.assign({}, options.headers || {}, token ? {Authorization: 'Bearer ' + token} : {});
      const r = await fetch(url, Object.assign({}, options, {headers}));
      if (r.status !== 401 || asked) return r;
      asked = true;
      const entered = window.prompt('This installation wants its API token (the emnist-api-token secret):');
      if (!entered || !entered.trim()) return r;
      localStorage.setItem(KEY, entered.trim());
    }
  }
  return {fetch: authFetch};
})();
