// Optional: links that carry the token in the fragment (#token=…, as an operator's front end
// would get them) are turned into the query form the hosted pages read. The pages work
// without this script when the token is in the query, as in the emails tresor sends.
(function () {
  var match = /[#&]token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match && !/[?&]token=/.test(window.location.search)) {
    window.location.replace(window.location.pathname + '?token=' + match[1]);
  }
})();
