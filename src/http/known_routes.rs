//! Which methods each known path answers, taken from the OpenAPI document (generated from the
//! handlers, so every route is in it). A request whose path is known but whose method is not
//! is answered `405 Method Not Allowed` with `Allow`, not `404`: actix-web's route macros guard
//! each resource by method, so without this the request falls through to "no such resource".

use actix_web::dev::ResourceDef;
use actix_web::http::Method;

/// Paths served outside the OpenAPI document (the document itself and its UI).
const UNDOCUMENTED_GET_PATHS: [&str; 3] = ["/openapi.json", "/docs", "/docs/{_:.*}"];

pub struct KnownRoutes {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl KnownRoutes {
    pub fn from_openapi(openapi: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<(ResourceDef, Vec<Method>)> = openapi
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::HEAD, item.head.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                    (Method::TRACE, item.trace.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        routes.extend(UNDOCUMENTED_GET_PATHS.iter().map(|path| (ResourceDef::new(*path), vec![Method::GET])));
        Self { routes }
    }

    /// The methods the path answers, in a stable order; empty when no route has this path.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        for (def, methods) in &self.routes {
            if def.is_match(path) {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        allowed
    }
}
