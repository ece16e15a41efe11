FROM debian
RUN apt-get update && \
# a comment inside the continuation
    apt-get install -y \

      curl \
    # an indented comment
      git
RUN echo "\
     hello\
     world"
  RUN   echo   leading  
RUN echo trailing \   
    spaces
